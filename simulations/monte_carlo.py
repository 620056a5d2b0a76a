"""Monte Carlo check of the effect estimators on a design like the bundled sample.

27 quarters, years 2008–2023 without 2020/2021 (as the school-entry examination), about 60
children per quarter and year, binomial counts around shares that differ by quarter and move
together over the years (parallel trends on shares hold). 4–9 quarters adopt a measure in
2012–2017. Scenarios: no effect, a constant effect, effects that differ between quarters and
effects that grow by 1 pp a year. The estimate, its interval and its p-value come from the
same code the pipeline runs (``indicators.effects.estimation.estimate_effect``); TWFE is reported
side by side with its cluster-robust t(G−1) interval.

Run: ``uv run python simulations/monte_carlo.py [--reps 300]`` (about 9 minutes for the
default; writes ``simulations/monte_carlo_report.md``).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from indicators.effects.estimation import EffectOptions, estimate_effect

REPORT = Path(__file__).with_name("monte_carlo_report.md")
YEARS = [y for y in range(2008, 2024) if y not in (2020, 2021)]
QUARTERS = 27
SCENARIOS = {  # effect (pp) of a treated cell from its quarter's own effect and years since start
    "kein Effekt": lambda own, k: 0.0 * k,
    "konstant +3 pp": lambda own, k: 3.0 + 0.0 * k,
    "heterogen je Quartier (1–5 pp)": lambda own, k: own,
    "wachsend (+1 pp je Jahr)": lambda own, k: k + 1.0,
}
OPTIONS = EffectOptions(bootstrap_reps=999, permutations=199)


def draw(rng: np.random.Generator, scenario: str) -> tuple[pd.DataFrame, pd.Series, float]:
    """One synthetic sample: outcome rows, adoption years and the true ATT (pp)."""
    base = rng.uniform(8, 35, QUARTERS)
    year_effect = np.cumsum(rng.normal(0.2, 0.8, len(YEARS)))
    n_treated = int(rng.integers(4, 10))
    treated = rng.choice(QUARTERS, n_treated, replace=False)
    start = np.full(QUARTERS, np.inf)
    start[treated] = rng.integers(2012, 2018, n_treated)
    unit = np.repeat(np.arange(QUARTERS), len(YEARS))
    year = np.tile(YEARS, QUARTERS)
    post = year >= start[unit]
    own = rng.uniform(1, 5, QUARTERS)
    effect = np.zeros(len(unit))
    effect[post] = SCENARIOS[scenario](own[unit[post]], year[post] - start[unit][post])
    share = base[unit] + year_effect[year - 2008 - (year > 2021) * 2] + effect
    share += rng.normal(0, 0.5, len(unit))
    children = rng.poisson(60, len(unit))
    counts = rng.binomial(children, np.clip(share / 100, 0.01, 0.99))
    rows = pd.DataFrame(
        {
            "gebiet_id": [f"Q{u:02d}" for u in unit],
            "jahr": year,
            "indikator_id": "simuliert",
            "wert": 100 * counts / children,
            "nenner": children,
            "teilerhebung": False,
        }
    )
    starts = pd.Series(start[treated], index=[f"Q{u:02d}" for u in treated])
    return rows, starts, float(effect[post].mean())


def run(reps: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    link = pd.Series(
        {"massnahme_id": "MC", "indikator_id": "simuliert", "richtung": "steigt",
         "verzoegerung_jahre": 0}
    )  # fmt: skip
    records = []
    for scenario in SCENARIOS:
        began = time.perf_counter()
        for rep in range(reps):
            rows, starts, truth = draw(rng, scenario)
            options = EffectOptions(
                bootstrap_reps=OPTIONS.bootstrap_reps,
                permutations=OPTIONS.permutations,
                seed=seed + rep,
            )
            row = estimate_effect(link, rows, starts, options).row
            df = QUARTERS - 1
            t_crit = stats.t.ppf(0.975, df)
            records.append(
                {
                    "szenario": scenario,
                    "wahr": truth,
                    "n_behandelt": row["n_behandelt"],
                    "imp": row["effekt_pp"],
                    "imp_se": row["se"],
                    "imp_unten": row["ki_unten"],
                    "imp_oben": row["ki_oben"],
                    "imp_p": row["p_wert"],
                    "twfe": row["twfe_effekt_pp"],
                    "twfe_se": row["twfe_se"],
                    "twfe_unten": row["twfe_effekt_pp"] - t_crit * row["twfe_se"],
                    "twfe_oben": row["twfe_effekt_pp"] + t_crit * row["twfe_se"],
                    "twfe_p": 2 * stats.t.sf(abs(row["twfe_effekt_pp"] / row["twfe_se"]), df),
                    "pretrend_p": row["pretrend_p"],
                }
            )
        print(f"{scenario}: {reps} Wiederholungen in {time.perf_counter() - began:.0f} s")
    return pd.DataFrame(records)


GROUPS = {
    "4–9 (alle)": lambda n: n >= 0,
    "5–9 (p: Bootstrap)": lambda n: n >= 5,
    "4 (p: Randomisierung)": lambda n: n < 5,
}


def summary(results: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for scenario, by_scenario in results.groupby("szenario", sort=False):
        for treated, selects in GROUPS.items():
            group = by_scenario[selects(by_scenario["n_behandelt"])]
            for name, label in (("imp", "Imputation (BJS)"), ("twfe", "TWFE (Diagnose)")):
                error = group[name] - group["wahr"]
                covered = (group[f"{name}_unten"] <= group["wahr"]) & (
                    group["wahr"] <= group[f"{name}_oben"]
                )
                rows.append(
                    {
                        "Szenario": scenario,
                        "behandelte Quartiere": treated,
                        "Schätzer": label,
                        "Wdh.": len(group),
                        "Verzerrung (pp)": error.mean(),
                        "RMSE (pp)": np.sqrt((error**2).mean()),
                        "SE/SD": group[f"{name}_se"].mean() / error.std(ddof=1),
                        "Abdeckung 95-%-KI": covered.mean(),
                        "Ablehnung p<0,05": (group[f"{name}_p"] < 0.05).mean(),
                    }
                )
    return pd.DataFrame(rows)


def write_report(results: pd.DataFrame, reps: int, seed: int, seconds: float) -> None:
    table = summary(results)
    null = results[results["szenario"] == "kein Effekt"]
    lines = [
        "# Monte-Carlo-Prüfung der Wirkungsschätzer",
        "",
        f"Erzeugt von `simulations/monte_carlo.py` mit {reps} Wiederholungen je Szenario, "
        f"Startwert {seed}, Laufzeit {seconds / 60:.1f} min. Design wie die Beispieldaten: "
        "27 Sozialquartiere, Jahre 2008–2023 ohne 2020/2021, etwa 60 Kinder je Quartier und "
        "Jahr (binomiale Zählwerte), 4–9 behandelte Quartiere mit Beginn 2012–2017. "
        f"Bootstrap {OPTIONS.bootstrap_reps} Wiederholungen, Randomisierungsinferenz "
        f"{OPTIONS.permutations} Permutationen (die Pipeline nutzt 9.999 bzw. 999).",
        "",
        "Ziele: Abdeckung der 95-%-Intervalle 0,92–0,98; Ablehnungsrate ohne Effekt ≤ 0,07.",
        "Imputation: Intervall aus dem Cluster-Jackknife-SE (CV3) mit t(G−1); p-Wert aus dem "
        "Wild-Cluster-Bootstrap (ab 5 behandelten Quartieren) bzw. der "
        "Randomisierungsinferenz (darunter). TWFE: cluster-robuster SE (CR1), t(G−1).",
        "",
        table.to_markdown(index=False, floatfmt=".3f"),
        "",
        f"Vortrendtest (Bootstrap) ohne Effekt: Ablehnung p<0,10 in "
        f"{(null['pretrend_p'] < 0.10).mean():.3f} der Wiederholungen (Soll ≈ 0,10).",
        "",
    ]
    REPORT.write_text("\n".join(lines), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=300)
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()
    began = time.perf_counter()
    results = run(args.reps, args.seed)
    write_report(results, args.reps, args.seed, time.perf_counter() - began)
    print(REPORT.read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
