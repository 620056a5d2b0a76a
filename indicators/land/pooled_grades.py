"""The grade of a measure type's pooled effect on an outcome, with the reason in German.

Checked in this order (the same grade in both rows of ``mart.wirkung_gepoolt``):

1. **nicht schätzbar**: fewer than 2 municipalities have an estimate, or the primary estimate
   is not a finite number. No number is reported.
2. The primary p-value is the federated bootstrap p-value when at least 2 municipalities
   delivered statistics, else the HKSJ t-test p-value of the meta-analysis; the primary effect
   is the estimate of the same method.
3. **kein Nachweis**: the primary p-value is 0.10 or more.
4. **Hinweis**: p below 0.10, but a condition of "belastbar" fails; the reason names which.
   If the municipalities expect different directions, the reason says so.
5. **belastbar** needs all of: p below 0.05; all municipalities expect the same direction
   (``erwartete_richtung`` of their links) and the effect goes that way; the pre-trend tests
   of the municipalities combined by Fisher's method (−2 Σ ln p, χ² with 2k degrees of
   freedom, one test per municipality) give p ≥ 0.10.
6. **wirkt im Mittel, aber sehr unterschiedlich**: would be "belastbar", but the effects
   differ strongly between municipalities: I² ≥ 50 % and the prediction interval includes 0
   (with 2 municipalities there is no prediction interval; it counts as including 0).

Rules 3 to 5 and their thresholds are the city's (``indicators/effects/evidence.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from indicators.display.german import decimal, p_statement, whole
from indicators.effects import evidence
from indicators.effects.estimation import EffectOptions
from indicators.effects.inference import score_bootstrap_p

HETEROGENEOUS = "wirkt im Mittel, aber sehr unterschiedlich"
GRADES = (*evidence.GRADES, HETEROGENEOUS)
MIN_MUNICIPALITIES = 2
HETEROGENEITY_I2 = 0.5
"""I² (share of the variance between municipalities) from which effects differ strongly."""
BOOTSTRAP_REPS = EffectOptions().bootstrap_reps
SEED = EffectOptions().seed
FEDERATED_P = (
    "Wild-Cluster-Bootstrap über alle Gebiete (Jackknife-Scores, Webb-Gewichte), "
    f"{whole(BOOTSTRAP_REPS)} Wiederholungen"
)
META_P = "t-Test nach Hartung-Knapp-Sidik-Jonkman (k−1 Freiheitsgrade)"
PRETREND_TEST = "Vortrendtests (Fisher-Kombination)"


@dataclass(frozen=True)
class Grade:
    label: str
    reason: str
    p: float | None = None
    """The federated bootstrap p-value (also where it is not primary)."""


def fisher_p(p_values: pd.Series) -> float:
    """Fisher's combination of independent p-values: χ² = −2 Σ ln p with 2k degrees of freedom;
    NaN without any p-value."""
    p = p_values.dropna().to_numpy(float)
    if len(p) == 0:
        return float("nan")
    with np.errstate(divide="ignore"):
        statistic = -2 * np.log(p).sum()
    return float(stats.chi2.sf(statistic, 2 * len(p)))


def meta_p(meta) -> float:
    """Two-sided t-test of the mean with the HKSJ standard error and k − 1 degrees of freedom
    (the test that belongs to the HKSJ interval)."""
    if not meta.se_hksj > 0:
        return 1.0 if meta.mean == 0 else 0.0
    return float(2 * stats.t.sf(abs(meta.mean / meta.se_hksj), meta.k - 1))


def municipalities(n: int) -> str:
    """ "keine Kommune", "nur 1 Kommune", "nur 3 Kommunen"."""
    return "keine Kommune" if n == 0 else f"nur {n} Kommune{'' if n == 1 else 'n'}"


def grade_pooled(
    federated, meta, n_estimated: int, n_federated: int, directions: list[str], pretrend_p: float,
    reps: int = BOOTSTRAP_REPS, seed: int = SEED,
) -> Grade:  # fmt: skip
    """The grade of one type × outcome from its federated estimate (``pooling.PooledEstimate``
    or None) and meta-analysis (``meta_analysis.MetaAnalysis`` or None)."""
    if n_estimated < MIN_MUNICIPALITIES:
        return Grade(
            evidence.NOT_ESTIMABLE,
            f"{municipalities(n_estimated)} mit geschätztem Effekt: für einen Vergleich über "
            f"Kommunen hinweg sind mindestens {MIN_MUNICIPALITIES} nötig",
        )
    boot_p = None
    if federated is not None and math.isfinite(federated.estimate):
        boot_p = score_bootstrap_p(
            federated.jackknife_scores, federated.estimate, reps, np.random.default_rng(seed)
        )
    if n_federated >= MIN_MUNICIPALITIES:
        effect, p = federated.estimate, boot_p
        method = f"föderierte Schätzung, {FEDERATED_P} ({n_federated} Kommunen)"
    else:
        effect, p = meta.mean, meta_p(meta)
        method = f"Meta-Analyse, {META_P}; {municipalities(n_federated)} mit Poolingstatistik"
    if p is None or not (math.isfinite(effect) and math.isfinite(p)):
        return Grade(evidence.NOT_ESTIMABLE, "keine gültige gepoolte Schätzung", boot_p)
    label, reason = grade(effect, p, method, pretrend_p, directions, meta.i2,
                          (meta.pi_low, meta.pi_high))  # fmt: skip
    return Grade(label, reason, boot_p)


def grade(
    effect: float,
    p_value: float,
    p_method: str,
    pretrend_p: float,
    directions: list[str],
    i2: float,
    prediction: tuple[float, float],
) -> tuple[str, str]:
    """Grade and German reason of a pooled effect (rules 3 to 6)."""
    if len(directions) != 1:
        label, reason = evidence.grade(effect, p_value, p_method, pretrend_p, "steigt")
        if label == evidence.NO_EVIDENCE:
            return label, reason
        return evidence.HINT, (
            f"{p_statement(p_value)} ({p_method}); die Kommunen erwarten unterschiedliche "
            f"Richtungen ({' bzw. '.join(directions or ['keine Angabe'])}): keine gemeinsame "
            "Richtung prüfbar"
        )
    label, reason = evidence.grade(
        effect, p_value, p_method, pretrend_p, directions[0], pretrend_test=PRETREND_TEST
    )
    low, high = prediction
    if label != evidence.RELIABLE or i2 < HETEROGENEITY_I2 or low > 0 or high < 0:
        return label, reason
    interval = (
        "ist mit so wenigen Kommunen nicht bestimmbar"
        if math.isnan(low) or math.isnan(high)
        else f"({decimal(low)} bis {decimal(high)}) schließt 0 ein"
    )
    return HETEROGENEOUS, (
        f"{reason}; aber die Effekte der Kommunen streuen stark (I² = {decimal(100 * i2)} %) "
        f"und das Vorhersageintervall {interval}: in einer einzelnen Kommune kann die Wirkung "
        "ausbleiben"
    )
