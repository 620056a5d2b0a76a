"""The evaluation export package on the sample: contents, disclosure control, contract."""

import dataclasses
import hashlib
import json
import re
import subprocess
from datetime import datetime
from pathlib import Path

import dagster as dg
import duckdb
import frictionless
import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from test_disclosure import determined, peel

import indicators.export.package as export_package_module
from assets.keys import EXPORT_KEY
from indicators.effects.reach import SOCIAL_REACH_INDICATOR
from indicators.export.package import export_package
from indicators.export.spec import COST_COLUMNS, TABLES, export_docs
from indicators.export.tables import NotAggregateError, _read, read_tables
from pipelines.cli import main
from pipelines.definitions import build_definitions
from pipelines.settings import PROJECT_ROOT, STATE_FOLDERS
from schemas.columns import load_column_docs

THRESHOLD = 5
TITLES = {c: d.title for (t, c), d in export_docs(load_column_docs()).items() if t == "indikatoren"}
HIGH_THRESHOLD = 300
"""Hides population counts too, so the links between tables are exercised."""
COUNTS = {
    "indikatoren": (["zaehler", "nenner"], ["indikator_id", "jahr"]),
    "massnahmen_output": (
        ["teilnehmende", "teilnehmende_sgb2", "zielgruppe"],
        ["massnahme_id", "jahr"],
    ),
}


@pytest.fixture(scope="module")
def exported(sample_run):
    """The yearly export job once on the published sample copy: (run result, package folder,
    settings)."""
    _, settings = sample_run
    job = build_definitions(settings).resolve_job_def("jaehrlicher_export")
    result = job.execute_in_process(instance=dg.DagsterInstance.ephemeral())
    assert result.success
    [folder] = settings.export_dir.iterdir()
    return result, folder, settings


@pytest.fixture
def instance(tmp_path, monkeypatch) -> dg.DagsterInstance:
    """The instance of dagster.yaml with its storage in a temporary folder, as ``kekiz`` opens
    it."""
    monkeypatch.setenv("DAGSTER_HOME", str(PROJECT_ROOT))
    monkeypatch.setenv("KEKIZ_STATE_DIR", str(tmp_path / "state"))
    for name in STATE_FOLDERS:
        monkeypatch.delenv(name, raising=False)
    with dg.DagsterInstance.from_config(str(PROJECT_ROOT)) as instance:
        yield instance


def export_cli(*args: str):
    return CliRunner().invoke(main, ["export", *args])


def test_the_cli_export_is_a_materialisation_the_ui_shows(exported, tmp_path, instance):
    _, _, settings = exported
    target = tmp_path / "exports"
    out = export_cli("--published", str(settings.published), "--export-dir", str(target))
    assert out.exit_code == 0, out.output
    [folder] = target.iterdir()
    printed = "".join(out.output.split())
    assert "Auswertungspaketgeschrieben" in printed and folder.name in printed
    event = instance.get_latest_materialization_event(EXPORT_KEY)
    assert event is not None and event.run_id.startswith(folder.name.rsplit("_", 1)[1])
    metadata = event.asset_materialization.metadata
    assert metadata["ordner"] == dg.MetadataValue.path(str(folder))
    assert metadata["gesperrte_zellen"].value > 0
    [check] = instance.event_log_storage.get_asset_check_execution_history(
        dg.AssetCheckKey(EXPORT_KEY, "exportvertrag"), limit=1
    )
    assert check.status.value == "SUCCEEDED"


def warehouse_view(settings, view: str) -> pd.DataFrame:
    with duckdb.connect(str(settings.published), read_only=True) as con:
        return con.sql(f"SELECT * FROM {view}").df()


def csv(folder: Path, table: str) -> pd.DataFrame:
    return pd.read_csv(folder / f"{table}.csv", dtype={"gebiet_id": str})


def test_the_job_writes_a_complete_package_and_passes_its_contract(exported):
    result, folder, _ = exported
    assert re.fullmatch(r"05119000_\d{4}-\d{2}-\d{2}_[0-9a-f]{8}", folder.name)
    assert folder.name.endswith(result.run_id[:8])
    names = {p.name for p in folder.iterdir()}
    assert {f"{t.name}.csv" for t in TABLES} <= names
    assert {"datapackage.json", "auswertung.xlsx", "bericht.html", "manifest.json",
            "pruefbericht.json", "pruefbericht.html"} <= names  # fmt: skip
    [check] = result.get_asset_check_evaluations()
    assert check.check_name == "exportvertrag" and check.passed
    contract = json.loads((folder / "pruefbericht.json").read_text(encoding="utf-8"))
    assert set(contract) == {t.name for t in TABLES}
    assert all(r["success"] for r in contract.values())


def test_the_manifest_lists_every_file_with_its_hash_the_version_and_the_deliveries(exported):
    result, folder, settings = exported
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    files = {p.name for p in folder.iterdir()} - {"manifest.json"}
    assert manifest["dateien"] == {
        name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in sorted(files)
    }
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=PROJECT_ROOT, capture_output=True,
                          text=True, check=True).stdout.strip()  # fmt: skip
    assert manifest["pipeline_version"] == head
    assert manifest["run_id"] == result.run_id
    deliveries = warehouse_view(settings, "mart.lieferungen")
    assert sorted(d["sha256"] for d in manifest["lieferungen"]) == sorted(deliveries["sha256"])


def test_the_package_passes_frictionless_validate(exported):
    _, folder, _ = exported
    report = frictionless.validate(str(folder / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:10]


def test_csvs_read_back_equal_the_warehouse_views_after_suppression(exported):
    _, folder, settings = exported
    view = warehouse_view(settings, "mart.indikatoren")
    keys = ["gebiet_id", "jahr", "indikator_id"]
    table = csv(folder, "indikatoren").merge(view, on=keys, suffixes=("", "_wh"), validate="1:1")
    assert len(table) == len(view)
    small = table["zaehler_wh"].between(1, THRESHOLD - 1) | table["nenner_wh"].between(
        1, THRESHOLD - 1
    )
    assert table.loc[small, "gesperrt"].all()
    hidden = table["gesperrt"]
    for column in ("zaehler", "nenner", "wert", "ki_unten", "ki_oben"):
        shown = table[column].notna()
        pd.testing.assert_series_equal(
            table.loc[shown, column].astype(float),
            table.loc[shown, f"{column}_wh"].astype(float),
            check_names=False,
        )
    # a suppressed row lacks a count, and its rate and interval with it
    assert (table.loc[hidden, "zaehler"].isna() | table.loc[hidden, "nenner"].isna()).all()
    for column in ("wert", "ki_unten", "ki_oben"):
        assert table.loc[hidden, column].isna().all()
    assert (table["hinweis"].fillna("") == table["hinweis_wh"].fillna("")).all()
    costs = csv(folder, "massnahmen_kosten")
    costs_wh = warehouse_view(settings, "mart.massnahmen_kosten").sort_values(
        ["massnahme_id", "jahr"], ignore_index=True
    )
    shown = ~costs["gesperrt"]
    pd.testing.assert_series_equal(
        costs.loc[shown, "kosten_eur"].astype(float), costs_wh.loc[shown, "kosten_eur"]
    )


def test_hidden_participants_take_every_cost_column_along(exported):
    """Otherwise the cost total divided by the cost per participant of other years gives the
    participants back."""
    _, folder, settings = exported
    costs = csv(folder, "massnahmen_kosten")
    costs_wh = warehouse_view(settings, "mart.massnahmen_kosten").sort_values(
        ["massnahme_id", "jahr"], ignore_index=True
    )
    hidden = costs["teilnehmende"].isna() & costs_wh["teilnehmende"].notna()
    assert hidden.any()
    for column in COST_COLUMNS:
        assert costs.loc[hidden, column].isna().all(), column


def test_a_value_shared_by_two_tables_is_suppressed_in_both(exported):
    """At a threshold that hides many cells, nothing hidden in one table is published in or
    recoverable from another."""
    _, _, settings = exported
    with duckdb.connect(str(settings.published), read_only=True) as con:
        tables = read_tables(con, HIGH_THRESHOLD)
    keys = ["massnahme_id", "jahr"]
    # the SGB II share of the target group is the child-poverty value of the area …
    values = warehouse_view(settings, "mart.indikatoren")
    poverty = values[values["indikator_id"] == SOCIAL_REACH_INDICATOR]
    outputs = warehouse_view(settings, "mart.massnahmen_output").merge(
        poverty[["gebiet_id", "jahr", "wert"]], on=["gebiet_id", "jahr"], validate="m:1"
    )
    assert outputs["sgb2_anteil_zielgruppe"].to_numpy() == pytest.approx(outputs["wert"])
    # … so it is hidden wherever that value is
    exported_values = tables.frames["indikatoren"]
    hidden_poverty = exported_values.loc[
        (exported_values["indikator_id"] == SOCIAL_REACH_INDICATOR)
        & exported_values["wert"].isna(),
        ["gebiet_id", "jahr"],
    ]
    shares = tables.frames["massnahmen_output"].merge(hidden_poverty, on=["gebiet_id", "jahr"])
    assert len(shares) > 0 and shares["sgb2_anteil_zielgruppe"].isna().all()
    # the cost table's participants are the city's participants of the reach table
    reach = tables.frames["massnahmen_output"]
    costs = tables.frames["massnahmen_kosten"]
    city = reach[reach["ebene"] == "Stadt"].merge(costs, on=keys, suffixes=("", "_kosten"))
    assert city["teilnehmende"].isna().any()
    assert (city["teilnehmende"].isna() == city["teilnehmende_kosten"].isna()).all()
    # the cost table's children are the sum over the measure's quarters: with one quarter
    # hidden, the published total minus the published quarters would give it back
    quarters = reach[(reach["ebene"] == "Sozialquartier") & reach["aktiv"].fillna(False)]
    hidden_quarters = quarters.groupby(keys)["zielgruppe"].agg(lambda s: s.isna().sum())
    children = costs.set_index(keys)["kinder_zielgruppe"]
    published = children.notna().reindex(hidden_quarters.index)
    assert (hidden_quarters > 0).any()
    assert not (published & (hidden_quarters == 1)).any()


def test_no_exported_count_lies_between_one_and_the_threshold(exported):
    _, folder, _ = exported
    for table, columns in {
        "indikatoren": ["zaehler", "nenner"],
        "massnahmen_output": ["teilnehmende", "teilnehmende_sgb2", "zielgruppe"],
        "massnahmen_kosten": ["teilnehmende", "kinder_zielgruppe"],
    }.items():
        frame = csv(folder, table)
        for column in columns:
            assert not frame[column].between(1, THRESHOLD - 1).any(), (table, column)


@pytest.mark.parametrize("table", sorted(COUNTS))
def test_the_attacker_recovers_no_suppressed_cell(exported, table):
    """For every parent, subtract the published children (and, repeatedly, what that reveals
    one level up or down) – and solve the whole linear system per group as well."""
    _, folder, settings = exported
    columns, group_by = COUNTS[table]
    published = csv(folder, table)
    areas = warehouse_view(settings, "mart.gebiete")
    parent_of = dict(zip(areas["gebiet_id"], areas["uebergeordnet_id"], strict=True))
    assert published["gesperrt"].any()
    attempts = 0
    for column in columns:
        for _, rows in published.groupby(group_by):
            known = {a: v for a, v in zip(rows["gebiet_id"], rows[column], strict=True)
                     if pd.notna(v)}  # fmt: skip
            present = set(rows["gebiet_id"])
            attempts += len(present) - len(known)
            assert peel(known, present, parent_of) == []
            assert determined(known, present, parent_of) == []
    assert attempts > 0


def test_the_workbook_has_german_headers_dots_a_codebook_and_notes(exported):
    _, folder, _ = exported
    book = openpyxl.load_workbook(folder / "auswertung.xlsx", read_only=True)
    assert book.sheetnames[:2] == ["Hinweise", "Codebuch"]
    assert set(book.sheetnames[2:]) == {t.name for t in TABLES}
    values = list(book["indikatoren"].values)
    header, rows = values[0], values[1:]
    assert header[:3] == ("Gebietsschlüssel", "Gebiet", "Gebietsebene")
    assert all(h == TITLES[c] for h, c in zip(header, csv(folder, "indikatoren").columns,
                                              strict=True))  # fmt: skip
    flag, count = header.index(TITLES["gesperrt"]), header.index("Zähler")
    suppressed = [r for r in rows if r[flag]]
    assert suppressed and all(r[count] == "." for r in suppressed)
    codebook = list(book["Codebuch"].values)
    documented = {(r[0], r[1]) for r in codebook[1:]}
    for t in TABLES:
        assert {(t.name, c) for c in csv(folder, t.name).columns} <= documented
    assert ("Indikator", "seu_sprache") in documented
    notes = " ".join(str(r[1]) for r in book["Hinweise"].values)
    for gap in ("schuleingang 2020", "schuleingang 2021", "schuleingang 2022: Teilerhebung"):
        assert gap in notes
    assert "1 bis 4" in notes


def test_the_report_has_a_chart_for_every_measure_and_indicator(exported, sample_run):
    _, folder, settings = exported
    page = (folder / "bericht.html").read_text(encoding="utf-8")
    assert "http://" not in page and "https://" not in page  # opens offline
    sections = re.split(r'<h3 id="', page)[1:]
    charts = {s.split('"')[0]: s.count('<img src="data:image/png;base64,') for s in sections}
    measures = warehouse_view(settings, "mart.massnahmen")["massnahme_id"]
    effects = warehouse_view(settings, "mart.massnahmen_wirkung")
    for measure in measures:
        estimable = effects[(effects["massnahme_id"] == measure)
                            & (effects["bewertung"] != "nicht schätzbar")]  # fmt: skip
        assert charts[measure] >= 1 + len(estimable), measure
    catalogue = warehouse_view(settings, "mart.indikatorkatalog")["indikator_id"]
    assert all(charts[i] == 1 for i in catalogue)


def test_a_rerun_on_unchanged_inputs_gives_identical_table_files(exported, tmp_path):
    _, folder, settings = exported
    again = export_package(settings.published, tmp_path, "0123456789", threshold=THRESHOLD,
                           version="test", created=datetime(2030, 3, 1))  # fmt: skip
    for name in [f"{t.name}.csv" for t in TABLES] + ["datapackage.json", "auswertung.xlsx"]:
        assert (again.folder / name).read_bytes() == (folder / name).read_bytes(), name


def tamper(monkeypatch) -> None:
    """Make one exported rate impossible (150 %) before the contract runs."""
    original = export_package_module.read_tables

    def read_tampered(con, threshold):
        tables = original(con, threshold)
        values = tables.frames["indikatoren"]
        values.loc[values["wert"].notna().idxmax(), "wert"] = 150.0
        return tables

    monkeypatch.setattr(export_package_module, "read_tables", read_tampered)


def test_a_tampered_table_fails_the_cli_with_exit_1_and_leaves_nothing(
    exported, tmp_path, monkeypatch, instance
):
    _, _, settings = exported
    tamper(monkeypatch)
    target = tmp_path / "exports"
    out = export_cli("--published", str(settings.published), "--export-dir", str(target))
    assert out.exit_code == 1
    assert "Exportvertrag ist verletzt" in out.output
    assert "Tabelle indikatoren" in out.output and "150" in out.output
    assert list(target.iterdir()) == []


def test_a_tampered_table_fails_the_blocking_check_and_leaves_nothing(exported, monkeypatch):
    _, _, settings = exported
    tamper(monkeypatch)
    before = set(settings.export_dir.iterdir())
    job = build_definitions(settings).resolve_job_def("jaehrlicher_export")
    result = job.execute_in_process(instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)
    assert not result.success
    [check] = result.get_asset_check_evaluations()
    assert not check.passed and check.check_name == "exportvertrag"
    assert set(settings.export_dir.iterdir()) == before


def test_the_export_reads_only_aggregate_mart_views(exported):
    _, _, settings = exported
    assert all(t.view.startswith("mart.") for t in TABLES)
    staging = dataclasses.replace(TABLES[1], view="staging.gebiete")
    with (
        duckdb.connect(str(settings.published), read_only=True) as con,
        pytest.raises(NotAggregateError),
    ):
        _read(con, staging, {"mart.gebiete"})


def test_an_existing_package_is_never_overwritten(exported):
    result, folder, settings = exported
    created = datetime.strptime(folder.name.split("_")[1], "%Y-%m-%d")
    with pytest.raises(FileExistsError):
        export_package(settings.published, settings.export_dir, result.run_id,
                       threshold=THRESHOLD, version="test", created=created)  # fmt: skip


# --- output is data, never code; paths stay inside the export folder --------------------------

FORMULA = '=HYPERLINK("http://x","klick")'
SCRIPT = "<script>alert(2)</script>"


def hostile(monkeypatch, city_id: str | None = None) -> None:
    """Formulas and markup in delivered texts, a script in a measure id, optionally a city id
    that would lead outside the export folder."""
    original = export_package_module.read_tables

    def read_hostile(con, threshold):
        tables = original(con, threshold)
        frames = tables.frames
        frames["massnahmen"].loc[0, "titel"] = FORMULA
        frames["massnahmen"].loc[1, "traeger"] = "+cmd|' /C calc'!A0"
        frames["datenqualitaet"].loc[0, "datei"] = "@SUM(1)"
        for frame in frames.values():
            if "massnahme_id" in frame.columns:
                frame["massnahme_id"] = frame["massnahme_id"].replace("M05", "M05" + SCRIPT)
        if city_id is not None:
            frames["kommune"].loc[0, "gebiet_id"] = city_id
        return tables

    monkeypatch.setattr(export_package_module, "read_tables", read_hostile)


def test_texts_are_written_as_text_never_as_formulas_or_markup(exported, tmp_path, monkeypatch):
    _, _, settings = exported
    hostile(monkeypatch)
    result = export_package(settings.published, tmp_path, "0123456789", threshold=THRESHOLD,
                            version="test", created=datetime(2030, 3, 1))  # fmt: skip
    book = openpyxl.load_workbook(result.folder / "auswertung.xlsx")
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert any(c.value == FORMULA and c.data_type == "s" for c in cells)
    measures = csv(result.folder, "massnahmen")
    assert measures.loc[0, "titel"] == "'" + FORMULA
    assert measures.loc[1, "traeger"] == "'+cmd|' /C calc'!A0"
    assert csv(result.folder, "datenqualitaet").loc[0, "datei"] == "'@SUM(1)"
    effects = csv(result.folder, "massnahmen_wirkung")
    assert (effects["effekt_pp"].dropna() < 0).any()  # negative numbers stay numbers
    page = (result.folder / "bericht.html").read_text(encoding="utf-8")
    assert SCRIPT not in page and "M05&lt;script&gt;alert(2)&lt;/script&gt;" in page


def test_a_city_id_that_is_no_official_key_writes_nothing_anywhere(
    exported, tmp_path, monkeypatch, instance
):
    _, _, settings = exported
    hostile(monkeypatch, city_id="../../x")
    target = tmp_path / "a" / "b" / "exports"
    out = export_cli("--published", str(settings.published), "--export-dir", str(target))
    assert out.exit_code == 1 and "kein Amtlicher Gemeindeschlüssel" in " ".join(out.output.split())
    assert not target.parent.parent.exists()


def test_an_export_removes_what_a_killed_export_left_behind(exported, tmp_path):
    _, _, settings = exported
    stale = tmp_path / ".05119000_2030-03-01_deadbeef.unfertig"
    stale.mkdir()
    (stale / "indikatoren.csv").write_text("halb")
    export_package(settings.published, tmp_path, "0123456789", threshold=THRESHOLD,
                   version="test", created=datetime(2030, 3, 1))  # fmt: skip
    assert [p.name for p in tmp_path.iterdir()] == ["05119000_2030-03-01_01234567"]
