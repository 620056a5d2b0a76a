"""The evaluation report's pieces: German numbers, p-values, suppressed versus not computable,
the sentence per measure, the grouping of areas and the print rules."""

from __future__ import annotations

import pandas as pd
import pytest

from indicators.display.german import decimal, p_statement, p_value
from indicators.display.report_charts import ABOVE, BELOW, NEAR
from indicators.effects import evidence
from indicators.export.printing import PRINT_RULES, page_count, print_rules
from indicators.export.report import NOT_COMPUTABLE, SUPPRESSED, _cells, finding, interval_groups


@pytest.mark.parametrize(
    ("p", "shown"),
    [(0.0004, "< 0,001"), (0.0063, "0,006"), (0.0957, "0,096"), (0.001, "0,001"), (1.0, "1,000")],
)
def test_p_values_have_three_decimals_and_a_floor(p, shown):
    assert p_value(p) == shown


def test_p_statements_and_numbers_are_german():
    assert p_statement(0.0004) == "p < 0,001" and p_statement(0.0063) == "p = 0,006"
    assert decimal(-2.14) == "−2,1" and decimal(2.14, signed=True) == "+2,1"
    assert decimal(-0.04) == "0,0"  # no minus sign before a rounded zero
    assert decimal(57897.24, 0) == "57\u202f897"


def test_reasons_of_the_grades_use_decimal_commas():
    _, why = evidence.grade(-4.0, 0.0004, "Bootstrap", 0.5, "sinkt")
    assert "p < 0,001 (Bootstrap)" in why and "p = 0,500" in why and "0." not in why
    _, why = evidence.grade(-4.0, 0.0063, "Bootstrap", 0.062, "sinkt")
    assert "p = 0,006" in why and "Vortrendtest verletzt (p = 0,062)" in why


def test_suppressed_cells_are_dots_and_uncomputable_ones_dashes():
    frame = pd.DataFrame({"wert": [12.34, float("nan"), float("nan")]}, index=[7, 8, 9])
    hidden = pd.DataFrame({"wert": [False, True, False]}, index=[7, 8, 9])
    cells = _cells(frame, {"wert": lambda v: decimal(v)}, hidden)
    assert cells["wert"].tolist() == ["12,3", SUPPRESSED, NOT_COMPUTABLE]
    assert (SUPPRESSED, NOT_COMPUTABLE) == (".", "–")


def test_the_sentence_of_a_measure_comes_from_its_effect_row():
    effect = pd.Series(
        {"effekt_pp": -2.1, "ki_unten": -3.4, "ki_oben": -0.8, "bewertung": evidence.RELIABLE,
         "begruendung": "p = 0,004"}
    )  # fmt: skip
    assert finding("M01", "Sprachförderung in Kitas", "Anteil Kinder mit Sprachförderbedarf",
                   effect) == (
        "M01 Sprachförderung in Kitas: Anteil Kinder mit Sprachförderbedarf −2,1 Prozentpunkte "
        "(95-%-KI −3,4 bis −0,8), belastbar"
    )  # fmt: skip
    none = effect.copy()
    none[["effekt_pp", "ki_unten", "ki_oben"]] = float("nan")
    none["bewertung"], none["begruendung"] = evidence.NOT_ESTIMABLE, "nur 1 behandeltes Gebiet"
    assert finding("M12", "Stadtteilmütter", "Visuomotorik", none) == (
        "M12 Stadtteilmütter: Visuomotorik – nicht schätzbar (nur 1 behandeltes Gebiet)"
    )


def test_areas_are_grouped_by_their_interval_against_the_municipality():
    areas = pd.DataFrame({"ki_unten": [30.0, 10.0, 18.0], "ki_oben": [35.0, 15.0, 25.0]})
    assert interval_groups(areas, 20.0).tolist() == [ABOVE, BELOW, NEAR]


def test_the_print_rules_are_read_from_the_print_block_only():
    page = """<style>tr { color: red } @media print { h1 { x: y }
      tr, img { break-inside:avoid; } thead{display:table-header-group}
      h2, h3 { break-before: page; break-after: avoid } }</style>"""
    assert print_rules(page) >= PRINT_RULES
    assert ("tr", "color: red") not in print_rules(page)
    assert page_count(b"<< /Type /Pages /Kids [] >> << /Type /Page >> <</Type/Page>>") == 2
