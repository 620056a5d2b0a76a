"""Indicator values at every level on a tiny hand-made city; expected values worked by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from indicators.compute.aggregation import indicator_values
from indicators.compute.catalogue import Catalogue, Coverage, Indicator
from indicators.compute.sozialindex import sozialindex

#  Stadt S ── Bezirk B1 ── Sozialraum R1 ── Q1, Q2 (and Q0, cut out after 2012)
#          └─ Bezirk B2 ── Sozialraum R2 ── Q3
AREAS = pd.DataFrame(
    [
        ("S", "Stadt", "Stadt", None, "2000-01-01", None),
        ("B1", "Nord", "Stadtbezirk", "S", "2000-01-01", None),
        ("B2", "Süd", "Stadtbezirk", "S", "2000-01-01", None),
        ("R1", "Nord-Mitte", "Sozialraum", "B1", "2000-01-01", None),
        ("R2", "Süd-Mitte", "Sozialraum", "B2", "2000-01-01", None),
        ("Q0", "Alt", "Sozialquartier", "R1", "2000-01-01", "2012-12-31"),
        ("Q1", "Altstadt", "Sozialquartier", "R1", "2000-01-01", None),
        ("Q2", "Hafen", "Sozialquartier", "R1", "2000-01-01", None),
        ("Q3", "Heide", "Sozialquartier", "R2", "2000-01-01", None),
    ],
    columns=["gebiet_id", "gebiet_name", "ebene", "uebergeordnet_id", "gueltig_ab", "gueltig_bis"],
)

SHARE = Indicator(
    id="alleinerziehende",
    label="Alleinerziehende",
    description="",
    numerator=("haushalte_alleinerziehend",),
    denominator=("haushalte_mit_kindern",),
    factor=100.0,
    unit="%",
    higher_is_better=False,
    life_phase="übergreifend",
    source="sozialstrukturatlas",
    period="Stichtag 31.12.",
)
CATALOGUE = Catalogue(
    indicators=(SHARE,),
    small_denominator=25,
    coverage={},
    sozialindex_components=(),
    dynamic_years=3,
)


def atlas(rows: list[tuple], delivered: bool = True) -> pd.DataFrame:
    """Staged rows; an unknown count was delivered as '.' (marked) unless ``delivered`` is
    False (the field was not in the delivery at all)."""
    counts = ["haushalte_alleinerziehend", "haushalte_mit_kindern"]
    frame = pd.DataFrame(rows, columns=["gebiet_id", "jahr", *counts])
    frame[counts] = frame[counts].astype("Int64")
    marked = frame[counts].isna().apply(lambda row: ",".join(row.index[row]) or None, axis=1)
    return frame.assign(
        delivery_sha256="sha-" + frame["jahr"].astype(str),
        gesperrte_felder=marked if delivered else None,
    )


@pytest.fixture(scope="module")
def values() -> pd.DataFrame:
    rows = atlas(
        [
            ("Q1", 2015, 30, 100),
            ("Q2", 2015, 10, 50),
            ("Q3", 2015, 5, 20),
            # 2016 not delivered
            ("Q1", 2017, None, 80),  # "." in the delivery
            ("Q2", 2017, 12, 60),
            # Q3 missing from the 2017 delivery
        ]
    )
    result = indicator_values({"sozialstrukturatlas": rows}, AREAS, CATALOGUE)
    return result.set_index(["gebiet_id", "jahr"])


def test_numerators_and_denominators_are_summed_before_dividing(values):
    expected = {  # area: (numerator, denominator, value in %)
        "Q1": (30, 100, 30.0),
        "Q2": (10, 50, 20.0),
        "Q3": (5, 20, 25.0),
        "R1": (40, 150, 100 * 40 / 150),  # 26.67 %, not the mean 25 % of 30 % and 20 %
        "B1": (40, 150, 100 * 40 / 150),
        "R2": (5, 20, 25.0),
        "B2": (5, 20, 25.0),
        "S": (45, 170, 100 * 45 / 170),  # 26.47 %, not the mean 25 % of the three quarters
    }
    for area, (numerator, denominator, value) in expected.items():
        row = values.loc[(area, 2015)]
        assert (row["zaehler"], row["nenner"]) == (numerator, denominator), area
        assert math.isclose(row["wert"], value, abs_tol=1e-12), area
        assert row["ki_unten"] < row["wert"] < row["ki_oben"]
    assert "Q0" not in values.index.get_level_values("gebiet_id")  # cut out before 2015


def test_small_denominators_are_flagged(values):
    assert values.loc[("Q3", 2015), "kleiner_nenner"]
    assert "kleiner Nenner" in values.loc[("Q3", 2015), "hinweis"]
    assert not values.loc[("S", 2015), "kleiner_nenner"]
    assert pd.isna(values.loc[("S", 2015), "hinweis"])


def test_a_year_without_delivery_is_unknown_with_reason(values):
    gap = values.xs(2016, level="jahr")
    assert len(gap) == 8  # 3 quarters, 2 Sozialräume, 2 Bezirke, the city
    assert gap["wert"].isna().all() and gap["zaehler"].isna().all()
    assert (gap["hinweis"] == "keine Lieferung für dieses Jahr").all()


def test_unknown_cells_propagate_upwards_with_reason(values):
    year = values.xs(2017, level="jahr")
    assert year.loc["Q2", "wert"] == 20.0
    assert pd.isna(year.loc["Q1", "wert"])
    assert "gesperrt oder unbekannt ('.'): haushalte_alleinerziehend" in year.loc["Q1", "hinweis"]
    assert year.loc["Q3", "hinweis"] == "Gebiet fehlt in der Lieferung"
    assert pd.isna(year.loc["R1", "wert"]) and pd.isna(year.loc["R1", "nenner"])
    assert year.loc["R1", "hinweis"].startswith("unbekannt: für 1 von 2 Gebieten der feinsten")
    assert year.loc["S", "hinweis"].startswith("unbekannt: für 2 von 3 Gebieten der feinsten")
    assert year.loc["S", "lieferungen"] == ["sha-2017"]


def test_a_field_not_delivered_makes_its_indicators_not_delivered_on_every_level():
    rows = atlas([("Q1", 2015, None, 100), ("Q2", 2015, None, 50), ("Q3", 2015, None, 20)],
                 delivered=False)  # fmt: skip
    result = indicator_values({"sozialstrukturatlas": rows}, AREAS, CATALOGUE)
    assert result["wert"].isna().all() and len(result) == 8
    assert (result["hinweis"] == "nicht geliefert: haushalte_alleinerziehend").all()


def test_partial_coverage_is_flagged_on_every_level():
    rows = atlas([("Q1", 2015, 30, 100), ("Q2", 2015, 10, 50), ("Q3", 2015, 5, 20)])
    covered = Catalogue(
        indicators=(SHARE,),
        small_denominator=0,
        coverage={
            "sozialstrukturatlas": Coverage(
                covered=("haushalte_alleinerziehend",),
                population=("haushalte_mit_kindern",),
                minimum=0.26,
            )
        },
        sozialindex_components=(),
        dynamic_years=3,
    )
    result = indicator_values({"sozialstrukturatlas": rows}, AREAS, covered)
    # Covered shares: Q1 30 %, Q2 20 %, Q3 25 %, R1 = B1 40/150 = 26.7 %, R2 = B2 25 %,
    # city 45/170 = 26.5 %; below the minimum of 26 %: Q2, Q3, R2, B2.
    flagged = set(result.loc[result["teilerhebung"], "gebiet_id"])
    assert flagged == {"Q2", "Q3", "R2", "B2"}
    assert result.loc[result["teilerhebung"], "hinweis"].str.contains("Teilerhebung").all()


def test_sozialindex_status_and_dynamic_by_hand():
    # Two components, three quarters, years 2015 and 2016, dynamic over one year.
    # 2015  A: 10, 20, 30 → mean 20, sd √(200/3) = 8.16497 → z −1.22474, 0, 1.22474
    #       B:  5,  5, 20 → mean 10, sd √50 = 7.07107      → z −0.70711, −0.70711, 1.41421
    #       status = mean(z) → −0.96593, −0.35355, 1.31948; ranks 3, 2, 1
    # 2016  A: 12, 20, 36 → change 2, 0, 6: mean 8/3, sd √(56/9) = 2.49444
    #                     → z −0.26726, −1.06904, 1.33631
    #       B:  5,  5, 20 → change 0, 0, 0: no spread → z 0
    #       dynamic = −0.13363, −0.53452, 0.66815
    rows = [
        (q, year, comp, value)
        for year, a, b in ((2015, (10, 20, 30), (5, 5, 20)), (2016, (12, 20, 36), (5, 5, 20)))
        for comp, values in (("a", a), ("b", b))
        for q, value in zip(("Q1", "Q2", "Q3"), values, strict=True)
    ]
    frame = pd.DataFrame(rows, columns=["gebiet_id", "jahr", "indikator_id", "wert"])
    index, parts = sozialindex(frame, ("a", "b"), dynamic_years=1)
    index = index.set_index(["jahr", "gebiet_id"])
    status = index.loc[2015, "statusindex"].to_numpy()
    assert status == pytest.approx([-0.96593, -0.35355, 1.31948], abs=1e-5)
    assert index.loc[2015, "rang_status"].tolist() == [3, 2, 1]
    assert index.loc[2015, "dynamikindex"].isna().all()
    dynamic = index.loc[2016, "dynamikindex"].to_numpy()
    assert dynamic == pytest.approx([-0.13363, -0.53452, 0.66815], abs=1e-5)
    part = parts.set_index(["gebiet_id", "jahr", "indikator_id"]).loc[("Q3", 2016, "a")]
    assert part["veraenderung"] == 6 and part["z_dynamik"] == pytest.approx(1.33631, abs=1e-5)


def test_sozialindex_needs_all_components():
    frame = pd.DataFrame(
        [("Q1", 2015, "a", 10.0), ("Q2", 2015, "a", 20.0), ("Q1", 2015, "b", 5.0)],
        columns=["gebiet_id", "jahr", "indikator_id", "wert"],
    )
    index, _ = sozialindex(frame, ("a", "b"), dynamic_years=3)
    q2 = index.set_index("gebiet_id").loc["Q2"]
    assert pd.isna(q2["statusindex"]) and q2["hinweis"] == (
        "nicht berechenbar: nur 1 von 2 Teilindikatoren bekannt"
    )
