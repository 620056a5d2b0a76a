"""The storage classes dagster.yaml names: their folders have defaults and follow the environment.

Dagster reads ``{env: VAR}`` without a default, so ``dagster dev``, ``dg dev`` and
``dagster-webserver`` would need the variables set. These classes take the variable and a
folder name instead and resolve them with :func:`pipelines.settings.state_folder`, the same
way ``kekiz`` does. Nothing here imports pandas: every Dagster process loads this module.
"""

from __future__ import annotations

from collections.abc import Mapping

from dagster._core.storage.local_compute_log_manager import LocalComputeLogManager
from dagster._core.storage.root import LocalArtifactStorage
from dagster._core.storage.sqlite_storage import DagsterSqliteStorage
from dagster._serdes import ConfigurableClassData

from pipelines.settings import state_folder

FOLDER_CONFIG = {"variable": str, "folder": str}


def _folder(config: Mapping[str, str]) -> str:
    return str(state_folder(config["variable"], config["folder"]))


class _InStateFolder:
    """Configured by a variable and a folder name; built with ``base_dir`` set to the folder."""

    @classmethod
    def config_type(cls) -> dict[str, type]:
        return FOLDER_CONFIG

    @classmethod
    def from_config_value(cls, inst_data, config_value: Mapping[str, str]):  # type: ignore[override]
        return cls(base_dir=_folder(config_value), inst_data=inst_data)


class SqliteStorage(_InStateFolder, DagsterSqliteStorage):
    """Run, event-log and schedule storage in SQLite files in the state folder."""

    @classmethod
    def from_config_value(  # type: ignore[override]
        cls, inst_data: ConfigurableClassData, config_value: Mapping[str, str]
    ) -> SqliteStorage:
        return cls.from_local(base_dir=_folder(config_value), inst_data=inst_data)


class ArtifactStorage(_InStateFolder, LocalArtifactStorage):
    """Local artifacts of runs in the state folder."""


class ComputeLogs(_InStateFolder, LocalComputeLogManager):
    """Captured stdout and stderr of each step in the logs folder."""
