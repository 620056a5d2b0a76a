"""Wall time of the effect estimation for every measure × linked outcome on the sample.

Target: under 20 s for all measures with 9,999 wild-bootstrap replications each (plus the
pre-trend bootstrap, 999 permutations of the randomization inference and the cluster
jackknife). The warehouse is built once in a temporary folder; only the estimation is timed.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
from _sample_warehouse import build_warehouse

from indicators.effects.did import imputation
from indicators.effects.estimation import (
    EffectOptions,
    adoption_years,
    build_panel,
    measure_effects,
)
from indicators.effects.inference import pretrend_bootstrap_p, wild_cluster_bootstrap_p
from indicators.store.measures import QUARTER_VALUES

REPETITIONS = 3
TARGET_SECONDS = 20.0


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        warehouse = build_warehouse(Path(folder)).warehouse
        with duckdb.connect(str(warehouse), read_only=True) as con:
            links = con.sql("SELECT * FROM staging.massnahmen_wirkindikatoren").df()
            outcomes = con.sql(QUARTER_VALUES).df()
            umsetzung = con.sql("SELECT * FROM staging.massnahmen_umsetzung").df()
    options = EffectOptions()
    times = []
    for run in range(REPETITIONS):
        start = time.perf_counter()
        effects = measure_effects(links, outcomes, umsetzung, options).effects
        times.append(time.perf_counter() - start)
        print(f"run {run + 1}: {times[-1]:.1f} s for {len(effects)} measure × outcome pairs")

    starts = adoption_years(umsetzung)
    boot_start = time.perf_counter()
    rng = np.random.default_rng(1)
    for _, link in links.iterrows():
        measure = starts[starts["massnahme_id"] == link["massnahme_id"]]
        panel, _ = build_panel(
            outcomes[outcomes["indikator_id"] == link["indikator_id"]],
            measure.set_index("gebiet_id")["beginn"],
            int(link["verzoegerung_jahre"]),
            options,
        )
        if len(np.unique(panel.unit[panel.treated])) < 2:
            continue
        wild_cluster_bootstrap_p(imputation(panel), 0, options.bootstrap_reps, rng)
        pretrend_bootstrap_p(panel, options.leads, options.bootstrap_reps, rng)
    boot_seconds = time.perf_counter() - boot_start
    median = statistics.median(times)
    print(
        f"effects on the sample: median {median:.1f} s (min {min(times):.1f}, max "
        f"{max(times):.1f}) over {REPETITIONS} runs; of that both bootstraps with "
        f"{options.bootstrap_reps} replications for all pairs: {boot_seconds:.1f} s; "
        f"target < {TARGET_SECONDS:.0f} s"
    )
    if median >= TARGET_SECONDS:
        sys.exit(1)


if __name__ == "__main__":
    main()
