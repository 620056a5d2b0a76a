"""Where the pipeline reads deliveries and writes the warehouse: options, environment, defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]


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

    @classmethod
    def from_env(cls, **overrides: Path | str | None) -> Settings:
        def pick(name: str, env: str, default: Path) -> Path:
            value = overrides.get(name) or os.environ.get(env) or default
            return Path(value).expanduser().resolve()

        default_warehouse = PROJECT_ROOT / "warehouse" / "kekiz.duckdb"
        warehouse = pick("warehouse", "KEKIZ_WAREHOUSE", default_warehouse)
        return cls(
            data_dir=pick("data_dir", "KEKIZ_DATA_DIR", PROJECT_ROOT / "raw_data" / "sample"),
            warehouse=warehouse,
            archive_dir=pick(
                "archive_dir", "KEKIZ_ARCHIVE_DIR", PROJECT_ROOT / "raw_data" / "archive"
            ),
            published=pick(
                "published", "KEKIZ_PUBLISHED", warehouse.parent / "published" / warehouse.name
            ),
        )

    def export_env(self) -> None:
        """Make these settings visible to Dagster processes started from here."""
        os.environ["KEKIZ_DATA_DIR"] = str(self.data_dir)
        os.environ["KEKIZ_WAREHOUSE"] = str(self.warehouse)
        os.environ["KEKIZ_ARCHIVE_DIR"] = str(self.archive_dir)
        os.environ["KEKIZ_PUBLISHED"] = str(self.published)


def dagster_environment() -> dict[str, str]:
    """DAGSTER_HOME and storage folders for the instance configured in dagster.yaml."""
    state = Path(os.environ.get("KEKIZ_STATE_DIR", PROJECT_ROOT / "var")).resolve()
    return {
        "DAGSTER_HOME": os.environ.get("DAGSTER_HOME", str(PROJECT_ROOT)),
        "KEKIZ_DAGSTER_STORAGE": str(state / "dagster"),
        "KEKIZ_DAGSTER_LOGS": str(state / "logs"),
    }


def apply_dagster_environment() -> None:
    for name, value in dagster_environment().items():
        os.environ.setdefault(name, value)
