"""Wall time and memory of the effect estimation for every measure × linked outcome.

1. The sample (default): all measure × outcome pairs of the bundled sample with 9,999
   wild-bootstrap replications each (plus the pre-trend bootstrap, 999 permutations of the
   randomization inference and the cluster jackknife). Target: under 20 s. The warehouse is
   built once in a temporary folder; only the estimation is timed.
2. ``--sizes 27,81,270,1080``: generated cities of that many quarters over 16 years, 4
   measures × 3 outcomes = 12 pairs, the same estimation through ``measure_effects``; each size
   in a process of its own (peak memory per size). Targets: 270 quarters under 60 s and 1,080
   under 10 minutes for the 12 pairs, under 2 GB. The fitted exponent b of time ≈ a·G^b.
3. ``--compare 27,81``: one pair estimated by the current code and by the original dense code
   (``tests/reference_did.py``) in the same process: time of each and the ratio.
4. ``--threads``: one pair at the given size with one BLAS thread and with the default
   number of threads (``--threads 270``).

BLAS is pinned to one thread for the whole process (before numpy is imported) except for the
default-threads run of 4; the estimator also sets one thread itself.

Run: ``uv run python benchmarks/effects.py [--sizes …] [--compare …] [--threads N]``
"""

from __future__ import annotations

import os
import sys

if "--default-threads" not in sys.argv:
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy: one thread per process
    os.environ.setdefault("OMP_NUM_THREADS", "1")

import contextlib
import json
import resource
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from indicators.effects.did import imputation
from indicators.effects.estimation import (
    EffectOptions,
    _estimate_effect,
    adoption_years,
    build_panel,
    estimate_effect,
    measure_effects,
)
from indicators.effects.inference import pretrend_bootstrap_p, wild_cluster_bootstrap_p

REPETITIONS = 3
TARGET_SECONDS = 20.0
YEARS = np.arange(2008, 2024)
MEASURES, OUTCOMES = 4, 3
TARGETS = {270: 60.0, 1080: 600.0}
MEMORY_TARGET_MIB = 2048


def generated_city(quarters: int, seed: int = 7):
    """``quarters`` areas × 16 years, 4 measures each started in a third of the areas in
    2011–2020 (staggered, with effects of 1–2 pp), 3 outcome shares with area and year
    effects and noise, denominators 20–200 children. Returns (links, outcomes, umsetzung)."""
    rng = np.random.default_rng(seed)
    areas = [f"Q{i:04d}" for i in range(quarters)]
    unit = np.repeat(np.arange(quarters), len(YEARS))
    year = np.tile(YEARS, quarters)
    links, umsetzung, outcomes = [], [], []
    starts = {}
    for m in range(MEASURES):
        start = np.full(quarters, np.inf)
        chosen = rng.choice(quarters, max(2, quarters // 3), replace=False)
        start[chosen] = rng.integers(2011, 2021, len(chosen))
        starts[m] = start
        for q in chosen:
            for y in range(int(start[q]), YEARS[-1] + 1):
                umsetzung.append((f"M{m + 1:02d}", areas[q], y, True))
        for o in range(OUTCOMES):
            links.append((f"M{m + 1:02d}", f"I{o + 1}", "sinkt", o % 2))
    for o in range(OUTCOMES):
        effect = sum(-(1.0 + 0.25 * m) * (year >= starts[m][unit] + o % 2) for m in range(MEASURES))
        share = (
            rng.uniform(8, 35, quarters)[unit]
            + rng.normal(0, 1, len(YEARS))[year - YEARS[0]]
            + effect
            + rng.normal(0, 2, len(unit))
        )
        outcomes.append(
            pd.DataFrame(
                {
                    "gebiet_id": np.asarray(areas)[unit],
                    "jahr": year,
                    "indikator_id": f"I{o + 1}",
                    "wert": share,
                    "nenner": rng.integers(20, 200, len(unit)).astype(float),
                    "teilerhebung": False,
                }
            )
        )
    links = pd.DataFrame(
        links, columns=["massnahme_id", "indikator_id", "richtung", "verzoegerung_jahre"]
    )
    umsetzung = pd.DataFrame(umsetzung, columns=["massnahme_id", "gebiet_id", "jahr", "aktiv"])
    return links, pd.concat(outcomes, ignore_index=True), umsetzung


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_size(quarters: int) -> dict:
    """All 12 pairs of a generated city of ``quarters`` areas (in this process)."""
    links, outcomes, umsetzung = generated_city(quarters)
    start = time.perf_counter()
    effects = measure_effects(links, outcomes, umsetzung, EffectOptions()).effects
    seconds = time.perf_counter() - start
    graded = int((effects["bewertung"] != "nicht schätzbar").sum())
    return {"quarters": quarters, "pairs": len(effects), "estimated": graded,
            "seconds": seconds, "peak_mib": peak_mib()}  # fmt: skip


def one_pair(quarters: int):
    links, outcomes, umsetzung = generated_city(quarters)
    link = links.iloc[0]
    starts = adoption_years(umsetzung)
    starts = starts[starts["massnahme_id"] == link["massnahme_id"]].set_index("gebiet_id")["beginn"]
    return link, outcomes[outcomes["indikator_id"] == link["indikator_id"]], starts


def old_pair(link, outcome, starts, options: EffectOptions) -> None:
    """The estimation of one pair with the original dense code."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    import reference_did as ref

    panel, _ = build_panel(outcome, starts, int(link["verzoegerung_jahre"]), options)
    rng = np.random.default_rng(options.seed)
    imp = ref.imputation(panel)
    ref.jackknife_se(ref.leave_one_out(panel, imp.names)[0])
    ref.wild_cluster_bootstrap_p(imp, 0, options.bootstrap_reps, rng)
    ref.randomization_p(panel, options.permutations, rng)
    ref.pretrend(panel, options.leads)
    with contextlib.suppress(np.linalg.LinAlgError):  # a bug of the dense version
        ref.pretrend_bootstrap_p(panel, options.leads, options.bootstrap_reps, rng)
    ref.twfe(panel)


def compare(quarters: int) -> dict:
    link, outcome, starts = one_pair(quarters)
    options = EffectOptions()
    start = time.perf_counter()
    estimate_effect(link, outcome, starts, options)
    new = time.perf_counter() - start
    start = time.perf_counter()
    old_pair(link, outcome, starts, options)
    old = time.perf_counter() - start
    return {"quarters": quarters, "new_seconds": new, "old_seconds": old, "ratio": old / new,
            "peak_mib": peak_mib()}  # fmt: skip


def threads(quarters: int, limit: bool) -> dict:
    link, outcome, starts = one_pair(quarters)
    start = time.perf_counter()
    (estimate_effect if limit else _estimate_effect)(link, outcome, starts, EffectOptions())
    return {"quarters": quarters, "one_thread": limit, "seconds": time.perf_counter() - start}


def child(*args: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, *args], check=True, capture_output=True, text=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def sizes_report(sizes: list[int]) -> None:
    results = []
    for quarters in sizes:
        result = child("--one-size", str(quarters))
        results.append(result)
        target = TARGETS.get(quarters)
        print(f"{quarters:>5} quarters: {result['seconds']:8.1f} s for {result['pairs']} pairs "
              f"({result['estimated']} estimated), peak {result['peak_mib']:.0f} MiB"
              + (f"; target < {target:.0f} s" if target else ""), flush=True)  # fmt: skip
    if len(results) >= 2:
        G = np.log([r["quarters"] for r in results])
        T = np.log([r["seconds"] for r in results])
        print(f"fitted exponent b of time ≈ a·G^b: {np.polyfit(G, T, 1)[0]:.2f}")
        G, T = G[-2:], T[-2:]
        print(f"exponent between the two largest sizes: {(T[1] - T[0]) / (G[1] - G[0]):.2f}")
    failed = [r for r in results if r["seconds"] >= TARGETS.get(r["quarters"], np.inf)
              or r["peak_mib"] >= MEMORY_TARGET_MIB]  # fmt: skip
    if failed:
        sys.exit(1)


def sample() -> None:
    import duckdb
    from _sample_warehouse import build_warehouse

    from indicators.store.measures import QUARTER_VALUES

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


def main() -> None:
    args = sys.argv[1:]
    if args[:1] == ["--one-size"]:
        print(json.dumps(run_size(int(args[1]))))
    elif args[:1] == ["--one-compare"]:
        print(json.dumps(compare(int(args[1]))))
    elif args[:1] == ["--one-threads"]:
        print(json.dumps(threads(int(args[1]), limit="--default-threads" not in args)))
    elif args[:1] == ["--sizes"]:
        sizes_report([int(s) for s in args[1].split(",")])
    elif args[:1] == ["--compare"]:
        for quarters in [int(s) for s in args[1].split(",")]:
            r = child("--one-compare", str(quarters))
            print(f"{quarters:>5} quarters, one pair: new {r['new_seconds']:.2f} s, old "
                  f"{r['old_seconds']:.1f} s, old/new {r['ratio']:.0f}, peak "
                  f"{r['peak_mib']:.0f} MiB", flush=True)  # fmt: skip
    elif args[:1] == ["--threads"]:
        quarters = int(args[1])
        one = child("--one-threads", str(quarters))
        default = child("--one-threads", str(quarters), "--default-threads")
        print(f"{quarters} quarters, one pair: one BLAS thread {one['seconds']:.2f} s, default "
              f"threads without the limit {default['seconds']:.2f} s")  # fmt: skip
    else:
        sample()


if __name__ == "__main__":
    main()
