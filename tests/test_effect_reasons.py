"""Why an effect is not estimable, on small hand-made registers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from indicators.effects import evidence
from indicators.effects.estimation import EffectOptions, estimate_effect

YEARS = range(2010, 2022)
LINK = pd.Series(
    {"massnahme_id": "M1", "indikator_id": "I1", "richtung": "sinkt", "verzoegerung_jahre": 0}
)
OPTIONS = EffectOptions(bootstrap_reps=99, permutations=19)


def outcome(areas: list[str], years=YEARS, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = [(a, y, rng.normal(20, 3)) for a in areas for y in years]
    frame = pd.DataFrame(rows, columns=["gebiet_id", "jahr", "wert"])
    return frame.assign(indikator_id="I1", nenner=50.0, teilerhebung=False)


def test_a_measure_every_area_started_in_the_same_year_has_no_comparison_area():
    areas = [f"Q{i}" for i in range(6)]
    starts = pd.Series(2015, index=areas)
    row = estimate_effect(LINK, outcome(areas), starts, OPTIONS).row
    assert row["bewertung"] == evidence.NOT_ESTIMABLE
    assert row["begruendung"] == "kein Vergleichsgebiet ohne die Maßnahme"
    assert row["n_behandelt"] == 6 and row["n_vergleich"] == 0


def test_treated_areas_without_a_usable_cell_say_so():
    """The comparison areas have values only until 2014; the measure starts in 2016."""
    treated, never = ["Q1", "Q2", "Q3"], ["Q4", "Q5", "Q6"]
    data = pd.concat([outcome(treated), outcome(never, years=range(2010, 2015))])
    row = estimate_effect(LINK, data, pd.Series(2016, index=treated), OPTIONS).row
    assert row["bewertung"] == evidence.NOT_ESTIMABLE
    assert row["begruendung"].startswith("keine auswertbare behandelte Zelle")
    assert row["n_behandelt"] == 3 and row["n_vergleich"] == 3


def test_one_treated_area_with_a_usable_cell():
    """Q3 starts in 2015, when comparison values end: only Q1 (2013) has usable cells."""
    data = pd.concat([outcome(["Q1", "Q3"]), outcome(["Q4", "Q5"], years=range(2010, 2015))])
    starts = pd.Series({"Q1": 2013, "Q3": 2015})
    row = estimate_effect(LINK, data, starts, OPTIONS).row
    assert row["begruendung"].startswith("nur 1 behandeltes Gebiet mit auswertbaren Zellen")
    assert row["n_behandelt"] == 2


def test_an_estimable_measure_has_p_values_above_zero():
    areas = [f"Q{i}" for i in range(12)]
    data = outcome(areas)
    starts = pd.Series([2013, 2014, 2015, 2016, 2013, 2014], index=areas[:6])
    treated = data["gebiet_id"].isin(starts.index) & (data["jahr"] >= data["gebiet_id"].map(starts))
    data.loc[treated, "wert"] -= 30.0  # far beyond every replication
    row = estimate_effect(LINK, data, starts, OPTIONS).row
    assert row["bewertung"] != evidence.NOT_ESTIMABLE
    assert row["p_bootstrap"] == pytest.approx(1 / 100)
    assert row["p_randomisierung"] == pytest.approx(1 / 20)
    assert row["p_wert"] > 0 and row["pretrend_p"] > 0


def test_reasons_in_order():
    assert "kein Vergleichsgebiet" in evidence.not_estimable_reason(6, 0, 5, 10, n_usable=0)
    assert "keine auswertbare" in evidence.not_estimable_reason(6, 3, 0, 0, n_usable=0)
    assert "nur 1 behandeltes Gebiet mit auswertbaren" in evidence.not_estimable_reason(
        6, 3, 5, 4, n_usable=1
    )
    assert evidence.not_estimable_reason(6, 3, 5, 10, n_usable=6) is None
