"""The effect of a measure type on an outcome across municipalities: pooled and meta-analysed.

Input are the package tables of every municipality's current package: the register
(``massnahmen`` with ``massnahmentyp``), the city effects (``massnahmen_wirkung``) and the
pooling statistics (``wirkung_summen``, ``wirkung_gebiete``). Only effects weighted "jedes
Sozialquartier gleich" of measures with a type and of outcomes whose definition in the
municipality is the common one (as for the Land values) take part. Per measure type ×
outcome two estimates answer two questions:

* **föderiert (gestapelte Imputation)**: the imputation ATT over all treated area-years of all
  municipalities that delivered pooling statistics, as if their panels were stacked, each with
  its own year effects (``indicators/land/pooling.py``); p-value from the wild bootstrap of its
  jackknife-transformed cluster scores over all areas (Webb weights, ``BOOTSTRAP_REPS``
  replications, fixed seed); its event
  study from the pooled effects by years since start.
* **Meta-Analyse (zufällige Effekte)**: the mean effect of a municipality, from the city ATTs and
  their squared standard errors (REML, Hartung-Knapp-Sidik-Jonkman interval and t-test with k − 1
  degrees of freedom, I², prediction interval), over every municipality with an estimate, with or
  without statistics. The HKSJ standard error is floored at the usual random-effects one (the
  "ad hoc" modification, Röver, Knapp and Friede 2015): the municipalities' standard errors are
  themselves estimated from few treated areas, and without the floor the interval was too
  narrow in the Monte Carlo study (SE/SD 0.86–0.91, 7 % rejections of a true null;
  ``simulations/pooling_monte_carlo_report.md``).

One estimate per municipality enters the meta-analysis and the combination of the pre-trend
tests: where a municipality runs two measures of the type, the one with more treated areas.
The federated estimate takes all of them, each area one cluster. Statistics with a missing or
non-finite value leave their stratum out of the federated estimate, named with the reason.
The grades are in ``indicators/land/pooled_grades.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from indicators.effects import evidence
from indicators.effects.estimation import POOLABLE_WEIGHTING
from indicators.effects.sufficient import AREA_COLUMNS, OVERALL, TOTAL_COLUMNS
from indicators.land.meta_analysis import random_effects
from indicators.land.pooled_grades import (
    BOOTSTRAP_REPS,
    FEDERATED_P,
    META_P,
    MIN_MUNICIPALITIES,
    SEED,
    fisher_p,
    grade_pooled,
    meta_p,
)
from indicators.land.pooling import STRATUM, pool

FEDERATED = "föderiert (gestapelte Imputation)"
META = "Meta-Analyse (zufällige Effekte)"
METHODS = (FEDERATED, META)
FEDERATED_CI = (
    "Cluster-Jackknife-SE (CV3) der gepoolten Schätzung, t-Verteilung mit G−1 Freiheitsgraden"
)
META_CI = (
    "REML, Hartung-Knapp-Sidik-Jonkman-SE (mindestens der übliche SE), t-Verteilung mit k−1 "
    "Freiheitsgraden"
)
EFFECT_KEY = ["ags", "massnahme_id", "indikator_id"]
GROUP = ["massnahmentyp", "indikator_id"]

POOLED_COLUMNS = {
    "massnahmentyp": "VARCHAR", "massnahmentyp_name": "VARCHAR", "indikator_id": "VARCHAR",
    "indikator_name": "VARCHAR", "verfahren": "VARCHAR", "schaetzgroesse": "VARCHAR",
    "erwartete_richtung": "VARCHAR", "effekt_pp": "DOUBLE", "se": "DOUBLE",
    "ki_unten": "DOUBLE", "ki_oben": "DOUBLE", "ki_methode": "VARCHAR", "p_wert": "DOUBLE",
    "p_methode": "VARCHAR", "n_kommunen": "BIGINT", "n_schaetzungen": "BIGINT",
    "n_gebiete": "BIGINT", "n_behandelt": "BIGINT", "tau2": "DOUBLE", "i2": "DOUBLE",
    "pi_unten": "DOUBLE", "pi_oben": "DOUBLE", "vortrend_p": "DOUBLE", "bewertung": "VARCHAR",
    "begruendung": "VARCHAR", "kommunen_ohne_statistik": "VARCHAR",
}  # fmt: skip
"""Columns of ``mart.wirkung_gepoolt`` and their DuckDB types."""
COURSE_COLUMNS = {
    "massnahmentyp": "VARCHAR", "indikator_id": "VARCHAR", "jahre_seit_start": "BIGINT",
    "effekt_pp": "DOUBLE", "se": "DOUBLE", "ki_unten": "DOUBLE", "ki_oben": "DOUBLE",
    "n_kommunen": "BIGINT", "n_behandelt": "BIGINT",
}  # fmt: skip
"""Columns of ``mart.wirkung_gepoolt_verlauf``."""
CITY_COLUMNS = {
    "massnahmentyp": "VARCHAR", "indikator_id": "VARCHAR", "ags": "VARCHAR",
    "kommune": "VARCHAR", "massnahme_id": "VARCHAR", "effekt_pp": "DOUBLE", "se": "DOUBLE",
    "ki_unten": "DOUBLE", "ki_oben": "DOUBLE", "bewertung": "VARCHAR",
    "erwartete_richtung": "VARCHAR", "verzoegerung_jahre": "BIGINT", "gewicht_meta": "DOUBLE",
    "im_foederierten_schaetzer": "BOOLEAN", "anteil_foederiert": "DOUBLE",
}  # fmt: skip
"""Columns of ``mart.wirkung_kommunen``."""
TABLE_COLUMNS = {
    "wirkung_gepoolt": POOLED_COLUMNS,
    "wirkung_gepoolt_verlauf": COURSE_COLUMNS,
    "wirkung_kommunen": CITY_COLUMNS,
}
INPUT_COLUMNS = {
    "massnahmen": ["ags", "massnahme_id", "massnahmentyp"],
    "massnahmen_wirkung": [*EFFECT_KEY, "effekt_pp", "se", "ki_unten", "ki_oben", "p_wert",
                           "pretrend_p", "n_behandelt", "gewichtung", "erwartete_richtung",
                           "verzoegerung_jahre", "bewertung"],
    "wirkung_summen": [*EFFECT_KEY, *TOTAL_COLUMNS],
    "wirkung_gebiete": [*EFFECT_KEY, *AREA_COLUMNS],
}  # fmt: skip
"""What is read of each package table (all municipalities, current packages only)."""


@dataclass(frozen=True)
class PooledTables:
    pooled: pd.DataFrame
    """``mart.wirkung_gepoolt``."""
    course: pd.DataFrame
    """``mart.wirkung_gepoolt_verlauf``."""
    cities: pd.DataFrame
    """``mart.wirkung_kommunen``."""

    def frames(self) -> dict[str, pd.DataFrame]:
        return {
            "wirkung_gepoolt": self.pooled,
            "wirkung_gepoolt_verlauf": self.course,
            "wirkung_kommunen": self.cities,
        }


def empty(columns: Mapping[str, str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=_dtype(t)) for c, t in columns.items()})


def _dtype(kind: str) -> str:
    return {"DOUBLE": "float64", "BIGINT": "Int64", "BOOLEAN": "boolean"}.get(kind, "object")


def _frame(rows: list[dict], columns: Mapping[str, str]) -> pd.DataFrame:
    if not rows:
        return empty(columns)
    frame = pd.DataFrame(rows, columns=list(columns))
    return frame.astype({c: _dtype(t) for c, t in columns.items()})


def pooled_effects(
    tables: Mapping[str, pd.DataFrame],
    common: pd.DataFrame,
    municipalities: Mapping[str, str],
    type_names: Mapping[str, str],
    reps: int = BOOTSTRAP_REPS,
    seed: int = SEED,
) -> PooledTables:
    """The three marts from the package tables of ``INPUT_COLUMNS`` (a table that is missing
    or ``None`` counts as empty).

    ``common``: ags, indikator_id, indikator_name of every outcome a municipality defines the
    common way; ``municipalities``: AGS → name; ``type_names``: type id → German name.
    """
    frames = {
        name: pd.DataFrame(columns=columns) if tables.get(name) is None else tables[name]
        for name, columns in INPUT_COLUMNS.items()
    }
    effects = _effects(frames["massnahmen"], frames["massnahmen_wirkung"], common)
    pooled, course, cities = [], [], []
    for (kind, indicator), links in effects.groupby(GROUP, sort=True):
        keys = {"massnahmentyp": kind, "indikator_id": indicator}
        own = frames["wirkung_summen"]["indikator_id"] == indicator
        totals = frames["wirkung_summen"][own]
        areas = frames["wirkung_gebiete"][frames["wirkung_gebiete"]["indikator_id"] == indicator]
        result = _type_outcome(links, totals, areas, municipalities, reps, seed)
        named = {**keys, "massnahmentyp_name": type_names.get(kind, kind),
                 "indikator_name": links["indikator_name"].iloc[0]}  # fmt: skip
        pooled += [{**named, **row} for row in result.rows]
        course += [{**keys, **row} for row in result.course]
        cities += [{**keys, **row} for row in result.cities]
    return PooledTables(
        _frame(pooled, POOLED_COLUMNS),
        _frame(course, COURSE_COLUMNS),
        _frame(cities, CITY_COLUMNS),
    )


def _effects(measures: pd.DataFrame, effects: pd.DataFrame, common: pd.DataFrame) -> pd.DataFrame:
    """City effects that take part: typed measure, equal weighting, common definition."""
    typed = measures[measures["massnahmentyp"].notna()][["ags", "massnahme_id", "massnahmentyp"]]
    chosen = effects[effects["gewichtung"] == POOLABLE_WEIGHTING]
    chosen = chosen.merge(typed, on=["ags", "massnahme_id"]).merge(
        common[["ags", "indikator_id", "indikator_name"]], on=["ags", "indikator_id"]
    )
    return chosen.sort_values(EFFECT_KEY).reset_index(drop=True)


@dataclass(frozen=True)
class _Result:
    rows: list[dict]
    course: list[dict]
    cities: list[dict]


def _type_outcome(
    links: pd.DataFrame,
    totals: pd.DataFrame,
    areas: pd.DataFrame,
    municipalities: Mapping[str, str],
    reps: int,
    seed: int,
) -> _Result:
    """Both estimates, the grade and the rows per municipality of one type × outcome."""
    with_estimate = links[np.isfinite(links["effekt_pp"].astype(float))]
    estimated = _one_per_municipality(with_estimate[with_estimate["se"] > 0])
    complete = _complete_statistics(totals, areas)
    with_stats = with_estimate[STRATUM].merge(complete)
    in_federated = set(map(tuple, with_stats.to_numpy()))
    n_estimated = len(estimated)
    n_federated = with_stats["ags"].nunique()
    directions = sorted(set(with_estimate["erwartete_richtung"].dropna()))
    fisher = fisher_p(estimated["pretrend_p"])
    delivered = set(map(tuple, totals[STRATUM].to_numpy()))
    left_out = _left_out(links, in_federated, delivered)

    kept = totals.merge(with_stats)
    federated = meta = None
    pooled: list = []
    if n_estimated >= MIN_MUNICIPALITIES:
        if n_federated:
            pooled = pool(kept, areas.merge(with_stats))
            federated = pooled[0]
        meta = random_effects(
            estimated["effekt_pp"].to_numpy(float), estimated["se"].to_numpy(float) ** 2,
            method="reml", hksj_adhoc=True,
        )  # fmt: skip
    graded = grade_pooled(federated, meta, n_estimated, n_federated, directions, fisher, reps,
                          seed)  # fmt: skip
    lags = _lags(estimated if len(estimated) else links)
    common = {
        "erwartete_richtung": directions[0] if len(directions) == 1 else None,
        "vortrend_p": fisher,
        "begruendung": graded.reason,
        "kommunen_ohne_statistik": left_out,
    }
    rows = [
        {**common, **_federated_row(federated, graded.p, with_stats, lags)},
        {**common, **_meta_row(meta, estimated, lags)},
    ]
    if graded.label == evidence.NOT_ESTIMABLE:
        for row in rows:
            for column in ("effekt_pp", "se", "ki_unten", "ki_oben", "p_wert", "tau2", "i2",
                           "pi_unten", "pi_oben"):  # fmt: skip
                row[column] = None
    course = [] if graded.label == evidence.NOT_ESTIMABLE else _course(pooled, kept)
    weights = _meta_weights(meta, estimated)
    shares = (
        {}
        if federated is None
        else {
            (r.ags, r.massnahme_id): r.gewichte_summe / federated.weight_total
            for r in kept.itertuples()
            if r.effekt == OVERALL
        }
    )
    cities = [
        {
            "ags": r.ags,
            "kommune": municipalities.get(r.ags, r.ags),
            "massnahme_id": r.massnahme_id,
            "effekt_pp": r.effekt_pp,
            "se": r.se,
            "ki_unten": r.ki_unten,
            "ki_oben": r.ki_oben,
            "bewertung": r.bewertung,
            "erwartete_richtung": r.erwartete_richtung,
            "verzoegerung_jahre": r.verzoegerung_jahre,
            "gewicht_meta": weights.get((r.ags, r.massnahme_id)),
            "im_foederierten_schaetzer": (r.ags, r.massnahme_id) in in_federated
            and federated is not None,
            "anteil_foederiert": shares.get((r.ags, r.massnahme_id)),
        }
        for r in links.itertuples()
    ]
    return _Result([{**row, "bewertung": graded.label} for row in rows], course, cities)


# --- the two estimates -----------------------------------------------------------------------


def _one_per_municipality(estimated: pd.DataFrame) -> pd.DataFrame:
    """Per municipality the estimate of its measure with the most treated areas: two measures
    of one type in one municipality share areas and data, so they are not two studies."""
    ordered = estimated.sort_values(["ags", "n_behandelt", "massnahme_id"],
                                    ascending=[True, False, True])  # fmt: skip
    return ordered.drop_duplicates("ags").sort_values(EFFECT_KEY)


def _complete_statistics(totals: pd.DataFrame, areas: pd.DataFrame) -> pd.DataFrame:
    """The strata (``STRATUM``) whose statistics are all there and finite: a positive weight
    total and estimate per effect, per area a score and treated weight, and an estimate
    without the area wherever its weight is positive."""
    bad_totals = ~np.isfinite(totals["effekt_pp"].astype(float)) | ~(
        totals["gewichte_summe"].astype(float) > 0
    )
    without = areas["gewichte_ohne_gebiet"].astype(float)
    bad_areas = (
        ~np.isfinite(areas["einfluss"].astype(float))
        | ~np.isfinite(areas["behandelte_zellen"].astype(float))
        | ~(without >= 0)
        | ((without > 0) & ~np.isfinite(areas["effekt_ohne_gebiet"].astype(float)))
    )
    delivered = totals.loc[totals["effekt"] == OVERALL, STRATUM].merge(
        areas.loc[areas["effekt"] == OVERALL, STRATUM].drop_duplicates()
    )
    broken = pd.concat([totals.loc[bad_totals, STRATUM], areas.loc[bad_areas, STRATUM]])
    return delivered.merge(broken.drop_duplicates(), how="left", indicator=True).query(
        "_merge == 'left_only'"
    )[STRATUM]


def _federated_row(federated, p_value, with_stats: pd.DataFrame, lags: str) -> dict:
    n = with_stats["ags"].nunique()
    row = {
        "verfahren": FEDERATED,
        "schaetzgroesse": (
            "ATT über alle behandelten Quartiersjahre aller Kommunen mit Poolingstatistik "
            f"({n} Kommunen, {len(with_stats)} Maßnahmen), als wären ihre Quartierspanels "
            "gestapelt geschätzt (Imputation, jede Kommune mit eigenen Jahreseffekten, jedes "
            "Sozialquartier gleich gewichtet): Kommunen mit mehr behandelten Quartiersjahren "
            f"zählen mehr; {lags}"
        ),
        "ki_methode": FEDERATED_CI,
        "p_methode": FEDERATED_P,
        "n_kommunen": n,
        "n_schaetzungen": len(with_stats),
    }
    if federated is None:
        return row
    return {
        **row,
        "effekt_pp": federated.estimate,
        "se": federated.se,
        "ki_unten": federated.ci_low,
        "ki_oben": federated.ci_high,
        "p_wert": p_value,
        "n_gebiete": federated.n_clusters,
        "n_behandelt": federated.n_treated_areas,
    }


def _meta_row(meta, estimated: pd.DataFrame, lags: str) -> dict:
    row = {
        "verfahren": META,
        "schaetzgroesse": (
            "mittlerer Effekt einer Kommune: Mittelwert der Verteilung der kommunalen ATTs "
            "(zufällige Effekte), jede Kommune gewichtet nach der Genauigkeit ihrer Schätzung "
            "und der Streuung zwischen den Kommunen; Vorhersageintervall = Spanne, in der der "
            f"Effekt einer weiteren Kommune mit 95 % liegt; {lags}"
        ),
        "ki_methode": META_CI,
        "p_methode": META_P,
        "n_kommunen": estimated["ags"].nunique(),
        "n_schaetzungen": len(estimated),
        "n_behandelt": int(estimated["n_behandelt"].sum()) if len(estimated) else None,
    }
    if meta is None:
        return row
    return {
        **row,
        "effekt_pp": meta.mean,
        "se": meta.se_hksj,
        "ki_unten": meta.ci_low,
        "ki_oben": meta.ci_high,
        "p_wert": meta_p(meta),
        "tau2": meta.tau2,
        "i2": meta.i2,
        "pi_unten": meta.pi_low,
        "pi_oben": meta.pi_high,
    }


def _meta_weights(meta, estimated: pd.DataFrame) -> dict:
    if meta is None:
        return {}
    keys = zip(estimated["ags"], estimated["massnahme_id"], strict=True)
    return dict(zip(keys, meta.weights.tolist(), strict=True))


def _course(pooled: list, kept: pd.DataFrame) -> list[dict]:
    """The federated event study; ``kept``: the totals of the strata in the estimate."""
    return [
        {
            "jahre_seit_start": int(p.effekt),
            "effekt_pp": p.estimate,
            "se": p.se,
            "ki_unten": p.ci_low,
            "ki_oben": p.ci_high,
            "n_kommunen": kept.loc[kept["effekt"] == p.effekt, "ags"].nunique(),
            "n_behandelt": p.n_treated_areas,
        }
        for p in pooled[1:]
    ]


def _lags(links: pd.DataFrame) -> str:
    lags = links["verzoegerung_jahre"].dropna().astype(int)
    counts = lags.value_counts().sort_index()
    if len(counts) == 0:
        return "Verzögerung unbekannt"
    if len(counts) == 1:
        return f"Wirkung ab Beginn + {_years(counts.index[0])} Verzögerung in allen Kommunen"
    parts = ", ".join(f"{_years(lag)} ({n} Schätzungen)" for lag, n in counts.items())
    return f"Wirkung ab Beginn + Verzögerung je Kommune verschieden: {parts}"


def _years(n: int) -> str:
    return f"{n} Jahr" if n == 1 else f"{n} Jahre"


def _left_out(links: pd.DataFrame, in_federated: set, delivered: set) -> str | None:
    """AGS of the municipalities not in the federated estimate, with the reason."""
    out = []
    for ags, rows in links.groupby("ags", sort=True):
        if any((ags, m) in in_federated for m in rows["massnahme_id"]):
            continue
        if rows["effekt_pp"].isna().all():
            out.append(f"{ags} (in der Kommune nicht schätzbar)")
        elif any((ags, m) in delivered for m in rows["massnahme_id"]):
            out.append(f"{ags} (Poolingstatistik unvollständig: fehlende oder ungültige Werte)")
        else:
            out.append(
                f"{ags} (keine Poolingstatistik im Paket: Paketformat 1 oder gesperrte "
                "Zellen des Indikators)"
            )
    return "; ".join(out) or None
