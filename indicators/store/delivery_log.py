"""Reading the delivery log ``raw.deliveries`` without writing (for ``kekiz status``)."""

from __future__ import annotations

from itertools import groupby
from operator import itemgetter
from pathlib import Path

import duckdb

LATEST_DELIVERIES = """
SELECT source, file_name, loaded_at, rows_read, rows_staged, rows_quarantined, status, message
FROM raw.deliveries
QUALIFY row_number() OVER (PARTITION BY source ORDER BY loaded_at DESC, file_name DESC) <= ?
ORDER BY source, loaded_at DESC, file_name DESC
"""


def latest_deliveries(warehouse: Path, per_source: int) -> dict[str, list[tuple]]:
    """The newest ``per_source`` rows of ``raw.deliveries`` for every source, newest first."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(LATEST_DELIVERIES, [per_source]).fetchall()
    return {source: [row[1:] for row in group] for source, group in groupby(rows, itemgetter(0))}
