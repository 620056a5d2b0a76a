"""Freshness: the newest reference date may be at most 15 months old."""

import datetime as dt
from pathlib import Path

import dagster as dg
import pytest

from assets.deliveries import staging_assets
from assets.delivery_checks import freshness_check
from assets.keys import staging_key
from conftest import ATLAS, CATALOGUE, temporary_settings, write_csv
from indicators.compute.freshness import add_months, freshness
from pipelines.definitions import build_definitions
from schemas.registry import SOURCES

INGESTION_ASSETS = staging_assets(CATALOGUE)

ATLAS_DAY = SOURCES["sozialstrukturatlas"].reference_day
SEU_DAY = SOURCES["schuleingang"].reference_day


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (dt.date(2023, 12, 31), 15, dt.date(2025, 3, 31)),
        (dt.date(2023, 8, 1), 15, dt.date(2024, 11, 1)),
        (dt.date(2023, 11, 30), 15, dt.date(2025, 2, 28)),
        (dt.date(2022, 11, 30), 15, dt.date(2024, 2, 29)),
    ],
)
def test_add_months(day, months, expected):
    assert add_months(day, months) == expected


def test_sozialstrukturatlas_of_2023_is_stale_from_april_2025():
    assert ATLAS_DAY == (12, 31)
    assert not freshness(2023, ATLAS_DAY, dt.date(2025, 3, 31)).stale
    state = freshness(2023, ATLAS_DAY, dt.date(2025, 4, 1))
    assert state.stale
    assert state.message() == (
        "Der neueste Stichtag 31.12.2023 ist älter als 15 Monate (aktuell nur bis 31.03.2025). "
        "Bitte die nächste Lieferung anfordern."
    )


def test_school_entry_year_is_dated_on_the_first_of_august():
    assert SEU_DAY == (8, 1)
    assert not freshness(2023, SEU_DAY, dt.date(2024, 11, 1)).stale
    assert freshness(2023, SEU_DAY, dt.date(2024, 11, 2)).stale


def test_no_data_is_stale():
    state = freshness(None, ATLAS_DAY, dt.date(2025, 1, 1))
    assert state.stale and state.message().startswith("Keine Daten")


@pytest.fixture
def staged(tmp_path: Path, data_dir: Path) -> dg.Definitions:
    """Areas and two years of the Sozialstrukturatlas in a temporary warehouse."""
    atlas_dir = data_dir / "sozialstrukturatlas"
    write_csv(atlas_dir / "atlas_2014.csv", "sozialstrukturatlas", [{**ATLAS, "jahr": "2014"}])
    write_csv(atlas_dir / "atlas_2015.csv", "sozialstrukturatlas", [ATLAS])
    settings = temporary_settings(tmp_path, data_dir)
    defs = build_definitions(settings)
    keys = [staging_key("gebiete"), staging_key("sozialstrukturatlas")]
    dg.materialize(INGESTION_ASSETS, resources=defs.resources, selection=keys)
    return defs


def run_check(defs: dg.Definitions, source: str, today: dt.date) -> dg.AssetCheckEvaluation:
    check = freshness_check(SOURCES[source], today=lambda: today)
    result = dg.materialize(
        [*INGESTION_ASSETS, check],
        resources=defs.resources,
        selection=dg.AssetSelection.checks(check),
    )
    [evaluation] = result.get_asset_check_evaluations()
    return evaluation


def test_check_warns_once_the_newest_year_is_older_than_15_months(staged):
    fresh = run_check(staged, "sozialstrukturatlas", dt.date(2017, 3, 31))
    assert fresh.passed
    assert fresh.metadata["neuester_stichtag"].value == "31.12.2015"

    stale = run_check(staged, "sozialstrukturatlas", dt.date(2017, 4, 1))
    assert not stale.passed and stale.severity == dg.AssetCheckSeverity.WARN
    assert stale.description.startswith("Der neueste Stichtag 31.12.2015 ist älter")


def test_check_warns_when_nothing_was_delivered(staged):
    evaluation = run_check(staged, "schuleingang", dt.date(2017, 1, 1))
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.WARN
    assert evaluation.metadata["neuester_stichtag"].value == "–"
