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

    def primary_only(system, parent_of, threshold):
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
