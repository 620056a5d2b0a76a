"""Where the pipeline reads deliveries and writes the warehouse: options, environment, defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from indicators.export.threshold import (
    CELL_KEY,
    DEFAULT_THRESHOLD,
    METHODS,
    MIN_THRESHOLD,
    SUPPRESSION,
)

PROJECT_ROOT = Path(__file__).resolve().parents[1]
LANDING_ROOT = PROJECT_ROOT / "raw_data"
LAND_ROOT = PROJECT_ROOT / "land"


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    """One folder per source with the delivered files (KEKIZ_DATA_DIR)."""
    warehouse: Path
    """The live DuckDB file written by the pipeline (KEKIZ_WAREHOUSE)."""
    archive_dir: Path
    """Immutable archive of every delivered file, named by sha256 (KEKIZ_ARCHIVE_DIR)."""
    published: Path
    """Read-only copy for analysts, replaced after each successful run (KEKIZ_PUBLISHED)."""
    incoming_dir: Path = LANDING_ROOT / "incoming"
    """Landing folder watched by the sensors, one sub-folder per source (KEKIZ_INCOMING_DIR)."""
    rejected_dir: Path = LANDING_ROOT / "rejected"
    """Rejected deliveries with their German report, one sub-folder per source
    (KEKIZ_REJECTED_DIR)."""
    export_dir: Path = PROJECT_ROOT / "exports"
    """Evaluation export packages, one immutable folder each (KEKIZ_EXPORT_DIR)."""
    atlas_root: Path | None = None
    """The offline Sozialatlas sites, one folder per municipality and day (KEKIZ_ATLAS_DIR);
    None: ``atlas/`` beside the warehouse (see ``atlas_dir``)."""
    suppression_threshold: int = DEFAULT_THRESHOLD
    """Counts from 1 to this minus 1 are suppressed in exports (KEKIZ_SUPPRESSION_THRESHOLD)."""
    export_method: str = SUPPRESSION
    """Disclosure control of the evaluation package: suppression or the Cell Key Method
    (KEKIZ_EXPORT_METHOD)."""
    atlas_method: str = CELL_KEY
    """Disclosure control of the public atlas (KEKIZ_ATLAS_METHOD)."""
    cell_key_file: Path | None = None
    """The secret of the cell keys (KEKIZ_CELL_KEY_FILE); None: ``cell_key.secret`` beside
    the warehouse (see ``cell_key_path``)."""

    @classmethod
    def from_env(cls, **overrides: Path | str | int | None) -> Settings:
        def pick(name: str, env: str, default: Path) -> Path:
            value = overrides.get(name) or os.environ.get(env) or default
            return Path(value).expanduser().resolve()

        default_warehouse = PROJECT_ROOT / "warehouse" / "kekiz.duckdb"
        warehouse = pick("warehouse", "KEKIZ_WAREHOUSE", default_warehouse)
        return cls(
            data_dir=pick("data_dir", "KEKIZ_DATA_DIR", PROJECT_ROOT / "raw_data" / "sample"),
            warehouse=warehouse,
            archive_dir=pick("archive_dir", "KEKIZ_ARCHIVE_DIR", LANDING_ROOT / "archive"),
            published=pick(
                "published", "KEKIZ_PUBLISHED", warehouse.parent / "published" / warehouse.name
            ),
            incoming_dir=pick("incoming_dir", "KEKIZ_INCOMING_DIR", cls.incoming_dir),
            rejected_dir=pick("rejected_dir", "KEKIZ_REJECTED_DIR", cls.rejected_dir),
            export_dir=pick("export_dir", "KEKIZ_EXPORT_DIR", cls.export_dir),
            atlas_root=pick("atlas_dir", "KEKIZ_ATLAS_DIR", warehouse.parent / "atlas"),
            suppression_threshold=_threshold(
                overrides.get("suppression_threshold")
                or os.environ.get("KEKIZ_SUPPRESSION_THRESHOLD")
                or DEFAULT_THRESHOLD
            ),
            export_method=_method(
                overrides.get("export_method") or os.environ.get("KEKIZ_EXPORT_METHOD"),
                SUPPRESSION, "KEKIZ_EXPORT_METHOD",
            ),
            atlas_method=_method(
                overrides.get("atlas_method") or os.environ.get("KEKIZ_ATLAS_METHOD"),
                CELL_KEY, "KEKIZ_ATLAS_METHOD",
            ),
            cell_key_file=pick(
                "cell_key_file", "KEKIZ_CELL_KEY_FILE", warehouse.parent / "cell_key.secret"
            ),
        )  # fmt: skip

    @property
    def cell_key_path(self) -> Path:
        return self.cell_key_file or self.warehouse.parent / "cell_key.secret"

    @property
    def atlas_dir(self) -> Path:
        return self.atlas_root or self.warehouse.parent / "atlas"

    def env(self) -> dict[str, str]:
        """These settings as the environment variables they are read from."""
        return {
            "KEKIZ_DATA_DIR": str(self.data_dir),
            "KEKIZ_WAREHOUSE": str(self.warehouse),
            "KEKIZ_ARCHIVE_DIR": str(self.archive_dir),
            "KEKIZ_PUBLISHED": str(self.published),
            "KEKIZ_INCOMING_DIR": str(self.incoming_dir),
            "KEKIZ_REJECTED_DIR": str(self.rejected_dir),
            "KEKIZ_EXPORT_DIR": str(self.export_dir),
            "KEKIZ_ATLAS_DIR": str(self.atlas_dir),
            "KEKIZ_SUPPRESSION_THRESHOLD": str(self.suppression_threshold),
            "KEKIZ_EXPORT_METHOD": self.export_method,
            "KEKIZ_ATLAS_METHOD": self.atlas_method,
            "KEKIZ_CELL_KEY_FILE": str(self.cell_key_path),
        }

    def export_env(self) -> None:
        """Make these settings visible to Dagster processes started from here."""
        os.environ.update(self.env())


@dataclass(frozen=True)
class LandSettings:
    """Where the state-level evaluation receives packages and keeps its data."""

    land_dir: Path
    """Intake, package store, Parquet partitions, Land DuckDB file and reports (KEKIZ_LAND_DIR)."""
    min_threshold: int = DEFAULT_THRESHOLD
    """The Land's disclosure threshold: a package applying less is rejected
    (KEKIZ_LAND_MIN_THRESHOLD)."""
    workers: int = 2
    """Municipalities loaded at once by ``kekiz land`` (KEKIZ_LAND_WORKERS)."""

    @classmethod
    def from_env(cls, **overrides: Path | str | int | None) -> LandSettings:
        folder = overrides.get("land_dir") or os.environ.get("KEKIZ_LAND_DIR") or LAND_ROOT
        workers = overrides.get("workers") or os.environ.get("KEKIZ_LAND_WORKERS") or 2
        if not str(workers).isdigit() or int(str(workers)) < 1:
            raise ValueError(
                f"Die Zahl gleichzeitig geladener Kommunen (KEKIZ_LAND_WORKERS) muss eine ganze "
                f"Zahl ab 1 sein, nicht {workers!r}."
            )
        return cls(
            land_dir=Path(folder).expanduser().resolve(),
            min_threshold=_threshold(
                overrides.get("min_threshold")
                or os.environ.get("KEKIZ_LAND_MIN_THRESHOLD")
                or DEFAULT_THRESHOLD,
                "KEKIZ_LAND_MIN_THRESHOLD",
            ),
            workers=int(str(workers)),
        )

    def env(self) -> dict[str, str]:
        return {
            "KEKIZ_LAND_DIR": str(self.land_dir),
            "KEKIZ_LAND_MIN_THRESHOLD": str(self.min_threshold),
            "KEKIZ_LAND_WORKERS": str(self.workers),
        }

    def export_env(self) -> None:
        os.environ.update(self.env())


STATE_FOLDERS = {"KEKIZ_DAGSTER_STORAGE": "dagster", "KEKIZ_DAGSTER_LOGS": "logs"}
"""The storage folders of the Dagster instance: variable -> folder name (as in dagster.yaml)."""


def dagster_home() -> Path:
    """The folder of dagster.yaml: DAGSTER_HOME, by default this checkout."""
    return Path(os.environ.get("DAGSTER_HOME") or PROJECT_ROOT).expanduser().resolve()


def state_folder(variable: str, folder: str) -> Path:
    """A storage folder of the instance: the variable if set, else the folder under
    KEKIZ_STATE_DIR, by default under var/ in DAGSTER_HOME."""
    if os.environ.get(variable):
        return Path(os.environ[variable]).expanduser().resolve()
    state = os.environ.get("KEKIZ_STATE_DIR") or dagster_home() / "var"
    return Path(state).expanduser().resolve() / folder


def dagster_environment() -> dict[str, str]:
    """DAGSTER_HOME and the storage folders of the instance configured in dagster.yaml."""
    folders = {name: str(state_folder(name, folder)) for name, folder in STATE_FOLDERS.items()}
    return {"DAGSTER_HOME": str(dagster_home()), **folders}


def apply_dagster_environment() -> None:
    os.environ.update(dagster_environment())


def _threshold(value: object, variable: str = "KEKIZ_SUPPRESSION_THRESHOLD") -> int:
    """The disclosure threshold: a whole number of at least 2 (1 would suppress nothing)."""
    try:
        threshold = int(str(value))
    except ValueError:
        threshold = 0
    if threshold < MIN_THRESHOLD:
        raise ValueError(
            f"Die Geheimhaltungsschwelle ({variable}) muss eine ganze Zahl ab "
            f"{MIN_THRESHOLD} sein, nicht {value!r}."
        )
    return threshold


def _method(value: object, default: str, variable: str) -> str:
    """The disclosure control method: ``sperrung`` or ``cell-key``."""
    method = str(value or default)
    if method not in METHODS:
        raise ValueError(
            f"Das Geheimhaltungsverfahren ({variable}) muss {' oder '.join(METHODS)} sein, "
            f"nicht {method!r}."
        )
    return method
