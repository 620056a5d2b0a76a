"""Pooling every measure type × outcome across 40 municipalities: time and memory.

Each municipality runs four measures of four types, each linked to three outcomes: twelve
type × outcome pairs, each pooled over 40 municipalities (federated estimate with its event
study and a wild bootstrap of 9,999 replications, random-effects meta-analysis, grade). The
municipalities' exported statistics come from the city estimator run on eight synthetic
panels of 10–60 quarters, re-keyed to 40 municipalities × 4 measures × 3 outcomes (the pooling
only sees numbers per area). Target: under 30 s.

Run: ``uv run python benchmarks/pooling.py``
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy: one thread per process
os.environ.setdefault("OMP_NUM_THREADS", "1")

import resource
import sys
import time

import numpy as np
import pandas as pd

from indicators.effects.did import Panel, identified, imputation, jackknife_se, leave_one_out
from indicators.effects.estimation import WEIGHTINGS
from indicators.effects.sufficient import pooling_statistics
from indicators.land.pooled_effects import pooled_effects

MUNICIPALITIES = 40
TYPES = ["sprachfoerderung_alltagsintegriert", "bewegungsfoerderung", "kita_zugang",
         "gesundheitsfoerderung"]  # fmt: skip
OUTCOMES = ["seu_sprache", "seu_koordination", "seu_uebergewicht"]
TEMPLATES = [(10, 10, 3), (14, 12, 4), (20, 11, 5), (27, 14, 6), (33, 12, 7), (40, 13, 8),
             (50, 12, 9), (60, 14, 10)]  # fmt: skip
"""(quarters, years, treated quarters) of the panels the statistics come from."""
TARGET_SECONDS = 30.0


def template(rng: np.random.Generator, areas: int, years: int, treated: int):
    unit = np.repeat(np.arange(areas), years)
    year = np.tile(np.arange(2010, 2010 + years), areas)
    start = np.full(areas, np.inf)
    start[rng.choice(areas, treated, replace=False)] = rng.integers(2013, 2010 + years - 1,
                                                                    size=treated)  # fmt: skip
    post = year >= start[unit]
    share = rng.uniform(8, 35, areas)[unit] + rng.normal(0, 1, years)[year - 2010] + 1.5 * post
    y = share + rng.normal(0, 2, len(unit))
    panel = Panel(unit, year, y, np.ones(len(unit)), start[unit])
    panel = panel.subset(identified(panel))
    imp = imputation(panel)
    draws, totals = leave_one_out(panel, imp.names)
    summen, gebiete = pooling_statistics(imp, draws, totals, np.arange(panel.n_units))
    return float(imp.estimate[0]), float(jackknife_se(draws)[0]), summen, gebiete


def package_tables(rng: np.random.Generator) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    templates = [template(rng, *shape) for shape in TEMPLATES]
    measures, effects, totals, areas, common = [], [], [], [], []
    for m in range(MUNICIPALITIES):
        ags = f"05{m:06d}"
        common += [{"ags": ags, "indikator_id": o, "indikator_name": o} for o in OUTCOMES]
        for kind in TYPES:
            measure = f"{kind[:4].upper()}{m}"
            measures.append({"ags": ags, "massnahme_id": measure, "massnahmentyp": kind})
            for outcome in OUTCOMES:
                att, se, summen, gebiete = templates[rng.integers(len(templates))]
                keys = {"ags": ags, "massnahme_id": measure, "indikator_id": outcome}
                effects.append({**keys, "effekt_pp": att, "se": se, "ki_unten": att - 2 * se,
                                "ki_oben": att + 2 * se, "p_wert": 0.01,
                                "pretrend_p": rng.uniform(), "n_behandelt": 5,
                                "gewichtung": WEIGHTINGS["gebiete"],
                                "erwartete_richtung": "steigt", "verzoegerung_jahre": 0,
                                "bewertung": "belastbar"})  # fmt: skip
                totals.append(summen.assign(**keys))
                areas.append(gebiete.assign(gebiet_id=gebiete["gebiet_id"].astype(str), **keys))
    tables = {
        "massnahmen": pd.DataFrame(measures),
        "massnahmen_wirkung": pd.DataFrame(effects),
        "wirkung_summen": pd.concat(totals, ignore_index=True),
        "wirkung_gebiete": pd.concat(areas, ignore_index=True),
    }
    return tables, pd.DataFrame(common)


def main() -> None:
    began = time.perf_counter()
    tables, common = package_tables(np.random.default_rng(1))
    names = {ags: f"Kommune {ags}" for ags in common["ags"].unique()}
    overall = tables["wirkung_gebiete"].query("effekt == 'gesamt'")
    typed = overall.merge(tables["massnahmen"], on=["ags", "massnahme_id"])
    clusters = typed.groupby(["massnahmentyp", "indikator_id"]).size()
    print(
        f"statistics of {len(tables['massnahmen_wirkung'])} municipality estimates ready in "
        f"{time.perf_counter() - began:.0f} s; areas (clusters) per type × outcome: "
        f"{int(clusters.min())}–{int(clusters.max())}"
    )
    start = time.perf_counter()
    result = pooled_effects(tables, common, names, {kind: kind for kind in TYPES})
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    pairs = result.pooled[["massnahmentyp", "indikator_id"]].drop_duplicates()
    print(
        f"pooled {len(pairs)} type × outcome pairs over {MUNICIPALITIES} municipalities "
        f"(9,999 bootstrap replications each, event studies: {len(result.course)} rows) in "
        f"{seconds:.1f} s; peak RSS {peak:.0f} MiB; target < {TARGET_SECONDS:.0f} s"
    )
    if seconds >= TARGET_SECONDS:
        sys.exit(1)


if __name__ == "__main__":
    main()
