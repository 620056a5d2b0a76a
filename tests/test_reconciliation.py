"""Delivered totals against the sum of their finest areas, worked by hand."""

from __future__ import annotations

import pandas as pd

from indicators.compute.reconciliation import area_sums, difference_notes, differences, upward_links

#  Stadt S ── Bezirk B1 ── Q1, Q2
#          └─ Bezirk B2 ── Q3
AREAS = pd.DataFrame(
    {
        "gebiet_id": ["S", "B1", "B2", "Q1", "Q2", "Q3"],
        "uebergeordnet_id": [None, "S", "S", "B1", "B1", "B2"],
    }
)
FIELDS = ["einwohner", "arbeitslose"]


def rows(data: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(data, columns=["gebiet_id", "jahr", *FIELDS])
    frame[FIELDS] = frame[FIELDS].astype("Int64")
    return frame


def test_a_planted_gap_is_reported_per_field_and_year_and_nothing_else():
    # two parts of one delivery, as the loader reads it
    first = rows([("Q1", 2021, 100, 5), ("Q2", 2021, 200, 7)])
    second = rows([("Q3", 2021, 50, None)])  # '.' for the unemployed in Q3
    totals = rows([("B1", 2021, 420, 12), ("B2", 2021, 50, 3), ("S", 2021, 470, 15)])
    sums = [area_sums(part, upward_links(AREAS), FIELDS) for part in (first, second)]
    found, compared = differences(totals, sums, FIELDS)
    # B1: 420 residents delivered, 100 + 200 = 300 in its quarters -> +120; 12 = 5 + 7
    # S: 470 vs 350 -> +120; unemployed of S and B2 not comparable (Q3 unknown)
    assert found.to_dict("records") == [
        {"gebiet_id": "B1", "jahr": 2021, "feld": "einwohner", "geliefert": 420,
         "summe_teilgebiete": 300, "differenz": 120},
        {"gebiet_id": "S", "jahr": 2021, "feld": "einwohner", "geliefert": 470,
         "summe_teilgebiete": 350, "differenz": 120},
    ]  # fmt: skip
    assert compared == 4  # residents of B1, B2, S; the unemployed of B1
    named = AREAS.assign(gebiet_name=["Stadt", "Nord", "Süd", "a", "b", "c"],
                         ebene=["Stadt", "Bezirk", "Bezirk", "Teil", "Teil", "Teil"])  # fmt: skip
    [first_note, _] = difference_notes(found, named, {"einwohner": "Einwohner insgesamt"})
    assert first_note == (
        "Summenabgleich 2021, Bezirk Nord (B1): 120 'Einwohner insgesamt' mehr als in seinen "
        "Teilgebieten (420 geliefert, Summe der Teilgebiete 300)"
    )


def test_without_totals_nothing_is_compared():
    sums = [area_sums(rows([("Q1", 2021, 1, 1)]), upward_links(AREAS), FIELDS)]
    found, compared = differences(rows([]), sums, FIELDS)
    assert found.empty and compared == 0
