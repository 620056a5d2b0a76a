"""Pins the Dagster graph: asset keys, checks, jobs, schedules and sensors.

A change to the graph shows up here and in review. After an intended change (e.g. new assets),
regenerate the snapshot and commit it:

    KEKIZ_UPDATE_SNAPSHOT=1 uv run pytest tests/test_graph_snapshot.py
"""

import json
import os
from pathlib import Path

from conftest import describe
from pipelines.definitions import build_definitions
from pipelines.settings import Settings

SNAPSHOT = Path(__file__).parent / "snapshots" / "definitions.json"


def test_graph_matches_the_committed_snapshot(tmp_path):
    defs = build_definitions(Settings.from_env(warehouse=tmp_path / "wh.duckdb"))
    current = json.dumps(describe(defs), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    if os.environ.get("KEKIZ_UPDATE_SNAPSHOT") == "1":
        SNAPSHOT.write_text(current, encoding="utf-8")
    assert current == SNAPSHOT.read_text(encoding="utf-8"), (
        "The Dagster graph differs from tests/snapshots/definitions.json. If the change is "
        "intended: KEKIZ_UPDATE_SNAPSHOT=1 uv run pytest tests/test_graph_snapshot.py"
    )
