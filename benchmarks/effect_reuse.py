"""The effect step on the sample warehouse: every pair estimated, then again with nothing
changed (every pair reused from ``meta.wirkung_cache``), then after one changed value."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import duckdb
from _sample_warehouse import build_warehouse

from indicators.compute.catalogue import load_catalogue
from indicators.effects.estimation import EffectOptions
from indicators.store.measures import QUARTER_VALUES, write_measure_effects


def timed(con: duckdb.DuckDBPyConnection, label: str) -> float:
    start = time.perf_counter()
    summary = write_measure_effects(con, load_catalogue(), EffectOptions(), "benchmark").summary
    seconds = time.perf_counter() - start
    print(
        f"{label}: {seconds:.2f} s ({summary['paare_wiederverwendet']} reused, "
        f"{summary['paare_neu_berechnet']} estimated)",
        flush=True,
    )
    return seconds


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = build_warehouse(Path(tmp))
        with duckdb.connect(str(settings.warehouse)) as con:
            con.execute("DELETE FROM meta.wirkung_cache")
            first = timed(con, "every pair estimated")
            again = timed(con, "nothing changed")
            [(area, year, indicator)] = con.execute(
                f"SELECT gebiet_id, jahr, indikator_id FROM ({QUARTER_VALUES}) "
                "WHERE wert IS NOT NULL AND indikator_id IN "
                "(SELECT indikator_id FROM staging.massnahmen_wirkindikatoren) "
                "ORDER BY ALL LIMIT 1"
            ).fetchall()
            con.execute(
                "UPDATE core.indikatorwerte SET wert = wert + 0.5 "
                "WHERE gebiet_id = ? AND jahr = ? AND indikator_id = ?",
                [area, year, indicator],
            )
            timed(con, f"one value of {indicator} changed")
    print(f"effect step with nothing changed: {again / first:.2f} of a full estimation")


if __name__ == "__main__":
    main()
