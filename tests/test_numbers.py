import datetime as dt

import pytest

from indicators.ingest.numbers import (
    CellError,
    NumberFormat,
    parse_count,
    parse_date,
    parse_number,
    parse_year,
)

GERMAN = NumberFormat()


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("1.234", 1234.0),
        ("1.234.567", 1234567.0),
        ("1.234,5", 1234.5),
        ("12,75", 12.75),
        ("-3", -3.0),
        ("-", 0.0),  # German tables: '-' means exactly zero
        (".", None),  # suppressed: unknown, never zero
        ("", None),
        ("  7 ", 7.0),
        (42, 42.0),
        (2.5, 2.5),
    ],
)
def test_german_numbers(cell, expected):
    assert parse_number(cell, GERMAN) == expected


@pytest.mark.parametrize("cell", ["1,2,3", "12.34", "abc", "1.23,4", "1.2345"])
def test_malformed_numbers_are_errors(cell):
    with pytest.raises(CellError):
        parse_number(cell, GERMAN)


def test_other_number_format():
    english = NumberFormat(decimal=".", thousands=",")
    assert parse_number("1,234.5", english) == 1234.5


def test_count_must_be_whole():
    assert parse_count("1.500", GERMAN) == 1500
    with pytest.raises(CellError, match="keine ganze Zahl"):
        parse_count("12,5", GERMAN)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("2015", 2015),
        ("31.12.2015", 2015),
        ("2015-12-31", 2015),
        ("2015/16", 2015),
        ("2015 / 2016", 2015),
        (2019, 2019),
        ("", None),
    ],
)
def test_years(cell, expected):
    assert parse_year(cell) == expected


def test_bad_year():
    with pytest.raises(CellError, match="Jahresangabe"):
        parse_year("15")


def test_dates():
    assert parse_date("31.12.2012") == dt.date(2012, 12, 31)
    assert parse_date("") is None
    with pytest.raises(CellError):
        parse_date("31/12/2012")
