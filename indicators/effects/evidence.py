"""Evidence grades for a measure's effect on a linked outcome, with the reason in German.

Rules, checked in this order:

1. **nicht schätzbar**: fewer than 2 treated areas with data, no never-treated comparison
   area with data (e.g. every area started in the same year), fewer than 2 treated areas with
   a usable treated cell (a year after the start in which comparison areas have values), no
   treated area with at least 2 years before its start, or no year after the start. No number
   is reported; the counts are of all areas with data.
2. **kein Nachweis**: the primary p-value is 0.10 or more.
3. **belastbar**: the primary p-value is below 0.05, the effect goes in the expected direction,
   at least ``MIN_RELIABLE_TREATED`` (7) areas are treated and the treated areas show no
   pre-trend in the direction of the effect: the slope of their years before the start
   (``inference.Permutations.slope_p``, a randomization test over the same permutations of
   start years, every year before the start) is not significant one-sided at 0.10.
4. **Hinweis**: everything else, i.e. p below 0.10 but one of the conditions for "belastbar"
   fails (0.05 ≤ p < 0.10, effect against the expected direction, too few treated areas,
   pre-trend towards the effect or not testable); the reason names which.

The primary p-value and the interval are from randomization inference when fewer than
``RANDOMIZATION_BELOW`` (10) areas are treated (the interval by inverting the test), otherwise
from the wild cluster bootstrap with Webb weights and the cluster jackknife.

Why these rules (``simulations/monte_carlo_report.md``, 40 areas, binomial counts): the
jackknife-t interval covered 0.86–0.91 with 2–5 treated areas and 0.92 with 7, the inverted
randomization test 0.93–0.97. Against a linear pre-trend that fakes a −9 pp effect, the joint
Wald test of the last three placebo years let it pass as "belastbar" in 0.44 of the
replications even with 10 treated areas, the F version rejected 0.19–0.88 under parallel
trends, an equivalence rule (every placebo year within half the effect) lost most real
effects; the one-sided slope test let it pass in 0.03 with 10 treated areas, 0.10 with 7 and
0.17 with 5, while a real −4 pp effect with 10 treated areas stays "belastbar" in 0.85.
Below 7 treated areas no test had the power to rule out such a trend, so the grade stays
"Hinweis" at most.
"""

from __future__ import annotations

import math

from indicators.display.german import p_statement

RELIABLE = "belastbar"
HINT = "Hinweis"
NO_EVIDENCE = "kein Nachweis"
NOT_ESTIMABLE = "nicht schätzbar"
GRADES = (RELIABLE, HINT, NO_EVIDENCE, NOT_ESTIMABLE)

MIN_TREATED = 2
MIN_RELIABLE_TREATED = 7
RANDOMIZATION_BELOW = 10
MIN_PRE_YEARS = 2
ALPHA = 0.05
HINT_ALPHA = 0.10
PRETREND_ALPHA = 0.10


def not_estimable_reason(
    n_treated: int,
    n_never: int,
    max_pre_years: int,
    post_observations: int,
    n_usable: int | None = None,
) -> str | None:
    """The reason a measure's effect cannot be estimated, or None. ``n_treated``/``n_never``:
    treated and never-treated areas with data; ``n_usable``: treated areas with at least one
    usable treated cell (None: all are)."""
    if n_treated < MIN_TREATED:
        return (
            f"nur {n_treated} behandeltes Gebiet mit Daten: ein Effekt lässt sich nicht von "
            "Besonderheiten dieses Gebiets trennen"
        )
    if n_never == 0:
        return "kein Vergleichsgebiet ohne die Maßnahme"
    if n_usable is not None and n_usable == 0:
        return (
            "keine auswertbare behandelte Zelle: in den Jahren nach Beginn fehlen Werte von "
            "Vergleichsgebieten"
        )
    if n_usable is not None and n_usable < MIN_TREATED:
        return (
            f"nur {n_usable} behandeltes Gebiet mit auswertbaren Zellen (Jahre nach Beginn mit "
            "Werten von Vergleichsgebieten): ein Effekt lässt sich nicht von Besonderheiten "
            "dieses Gebiets trennen"
        )
    if max_pre_years < MIN_PRE_YEARS:
        return f"zu wenige Jahre vor Beginn (mindestens {MIN_PRE_YEARS} nötig)"
    if post_observations == 0:
        return "keine Beobachtung nach Beginn der Maßnahme"
    return None


def grade(
    effect: float,
    p_value: float,
    p_method: str,
    pretrend_p: float,
    expected_direction: str,
    pretrend_test: str = "Vortrendtest",
    n_treated: int | None = None,
) -> tuple[str, str]:
    """Grade and German reason for an estimated effect; ``pretrend_test`` names the pre-trend
    test in the reason, ``n_treated`` the treated areas (None: not counted, as for a pooled
    estimate)."""
    stated = f"{p_statement(p_value)} ({p_method})"
    if p_value >= HINT_ALPHA:
        return NO_EVIDENCE, f"{stated}: kein statistisch gesicherter Effekt"
    problems = []
    if p_value >= ALPHA:
        problems.append("p zwischen 0,05 und 0,10")
    expected_sign = 1 if expected_direction == "steigt" else -1
    if math.copysign(1, effect) != expected_sign:
        problems.append(f"Effekt entgegen der erwarteten Richtung ({expected_direction})")
    if n_treated is not None and n_treated < MIN_RELIABLE_TREATED:
        problems.append(
            f"nur {n_treated} behandelte Gebiete (für „belastbar“ mindestens "
            f"{MIN_RELIABLE_TREATED}: mit weniger lässt sich ein Vortrend nicht ausschließen)"
        )
    if math.isnan(pretrend_p):
        problems.append("Vortrend nicht prüfbar")
    elif pretrend_p < PRETREND_ALPHA:
        problems.append(f"{pretrend_test} verletzt ({p_statement(pretrend_p)})")
    if problems:
        return HINT, f"{stated}; " + "; ".join(problems)
    return RELIABLE, f"{stated}; {pretrend_test} unauffällig ({p_statement(pretrend_p)})"
