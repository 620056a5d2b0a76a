"""The disclosure audit of a package: from its files alone, on the command line and as a
blocking part of the export contract."""

import shutil
from datetime import datetime

import pandas as pd
from click.testing import CliRunner

import indicators.export.tables as tables_module
from indicators.export.audit import audit_package
from indicators.export.package import ContractViolation, export_package
from pipelines.cli import main

THRESHOLD = 5


def tampered_copy(folder, target):
    """The package with one examined count raised so that cohort − examined is 2 in one area
    where both are published."""
    copy = target / "paket"
    shutil.copytree(folder, copy)
    path = copy / "indikatoren.csv"
    path.chmod(0o644)
    rows = pd.read_csv(path, dtype={"gebiet_id": str})
    cover = rows[(rows["indikator_id"] == "seu_abdeckung") & rows["zaehler"].notna()
                 & rows["nenner"].notna() & (rows["nenner"] - rows["zaehler"] > 2)]  # fmt: skip
    row = cover.index[0]
    rows.loc[row, "zaehler"] = rows.loc[row, "nenner"] - 2
    rows.to_csv(path, index=False)
    return copy, rows.loc[row, "gebiet_id"], int(rows.loc[row, "jahr"])


def test_the_sample_package_passes_the_audit_from_its_files(sample_export):
    _, folder, _ = sample_export
    result = audit_package(folder, THRESHOLD)
    assert result.success and len(result.cells) > 0
    assert result.narrow.empty and result.small.empty
    widths = result.cells["maximum"] - result.cells["minimum"]
    assert (widths >= 2 * THRESHOLD).all() and result.cells["exakt"].any()


def test_a_tampered_small_difference_fails_kekiz_audit(sample_export, tmp_path):
    _, folder, _ = sample_export
    copy, area, year = tampered_copy(folder, tmp_path)
    result = audit_package(copy, THRESHOLD)
    small = result.small.set_index(["menge", "gebiet_id", "jahr"]).index
    assert ("schuleingang:jahrgang − schuleingang:untersuchte", area, year) in small
    outcome = CliRunner().invoke(main, ["audit", str(copy)])
    assert outcome.exit_code == 1, outcome.output
    assert "unter der Schwelle" in outcome.output and "NICHT eingehalten" in outcome.output


def test_the_export_contract_refuses_a_package_that_publishes_a_small_difference(
    sample_export, tmp_path, monkeypatch
):
    _, _, settings = sample_export

    def primary_only(system, parent_of, threshold, progress):
        values = system.values
        return system.present & (values >= 1) & (values <= threshold - 1)

    monkeypatch.setattr(tables_module, "suppress_linked", primary_only)
    try:
        export_package(settings.published, tmp_path, "0123456789", threshold=THRESHOLD,
                       version="test", created=datetime(2030, 3, 1))  # fmt: skip
    except ContractViolation as refused:
        assert "Geheimhaltung" in str(refused)
    else:
        raise AssertionError("the export was not refused")
    assert list(tmp_path.iterdir()) == []


def test_a_sum_that_does_not_add_up_is_a_contradiction(sample_export, tmp_path):
    _, folder, _ = sample_export
    copy = tmp_path / "paket"
    shutil.copytree(folder, copy)
    path = copy / "indikatoren.csv"
    path.chmod(0o644)
    rows = pd.read_csv(path, dtype={"gebiet_id": str})
    city = rows[(rows["ebene_rang"] == 0) & rows["nenner"].notna()].index[0]
    rows.loc[city, "nenner"] += 100  # the city no longer equals the sum of its districts
    rows.to_csv(path, index=False)
    result = audit_package(copy, THRESHOLD)
    assert result.contradictions >= 1 and not result.success


def test_notes_and_flags_tell_nothing_about_a_suppressed_count(sample_export):
    _, folder, _ = sample_export
    rows = pd.read_csv(folder / "indikatoren.csv", dtype={"gebiet_id": str})
    notes = rows["hinweis"].fillna("")
    hidden = rows["nenner"].isna() & rows["gesperrt"]
    assert hidden.any()
    assert not notes[hidden].str.contains("kleiner Nenner|Nenner ist 0").any()
    assert rows.loc[hidden, "kleiner_nenner"].isna().all()
    # the partial-survey share is the ratio of children examined to the cohort: it is
    # only stated where both counts are published in that area and year
    catalogue = pd.read_csv(folder / "indikatorkatalog.csv")
    coverage = catalogue[
        (catalogue["zaehler_definition"] == "untersuchte")
        & (catalogue["nenner_definition"] == "jahrgang")
    ]["indikator_id"]
    both = rows[rows["indikator_id"].isin(coverage)].set_index(["gebiet_id", "jahr"])
    known = both[both["zaehler"].notna() & both["nenner"].notna()].index
    shares = rows[notes.str.contains("Teilerhebung: nur")]
    assert len(shares) > 0
    assert shares.set_index(["gebiet_id", "jahr"]).index.isin(known).all()


def test_avoided_cases_are_published_only_over_published_denominators(sample_export):
    _, folder, _ = sample_export
    costs = pd.read_csv(folder / "massnahmen_kosten.csv")
    output = pd.read_csv(folder / "massnahmen_output.csv", dtype={"gebiet_id": str})
    rows = pd.read_csv(folder / "indikatoren.csv", dtype={"gebiet_id": str})
    active = output[output["analyseeinheit"] & output["aktiv"]]
    published = costs[costs["vermiedene_faelle"].notna()]
    assert len(published) > 0
    for cost in published.itertuples(index=False):
        began = active[
            (active["massnahme_id"] == cost.massnahme_id) & (active["jahr"] <= cost.jahr)
        ]
        summed = rows[(rows["indikator_id"] == cost.fall_indikator_id) & (rows["jahr"] == cost.jahr)
                      & rows["gebiet_id"].isin(began["gebiet_id"])]  # fmt: skip
        assert summed["nenner"].notna().all(), (cost.massnahme_id, cost.jahr)
    withheld = costs[costs["fall_indikator_id"].notna() & costs["vermiedene_faelle"].isna()]
    assert withheld["kosten_je_vermiedenem_fall"].isna().all()
    assert withheld["netto_nutzen_je_euro"].isna().all()
