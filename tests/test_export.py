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
import indicators.export.report as report_module
from assets.keys import EXPORT_KEY
from indicators.effects.reach import SOCIAL_REACH_INDICATOR
from indicators.export.audit import AUDIT_KEY
from indicators.export.manifest import PACKAGE_FORMAT
from indicators.export.package import export_package
from indicators.export.printing import PRINT_RULES, check_print, find_browser, print_rules
from indicators.export.spec import COST_COLUMNS, TABLES, export_docs
from indicators.export.tables import NotAggregateError, _read, read_tables
from pipelines.cli import main
from pipelines.definitions import build_definitions
from pipelines.settings import PROJECT_ROOT, STATE_FOLDERS
from schemas.columns import load_column_docs

THRESHOLD = 5
TITLES_OF = {
    table.name: {
        c: d.title for (t, c), d in export_docs(load_column_docs()).items() if t == table.name
    }
    for table in TABLES
}
TITLES = TITLES_OF["indikatoren"]
HIGH_THRESHOLD = 300
"""Hides population counts too, so the links between tables are exercised."""
COUNTS = {
    "indikatoren": (["zaehler", "nenner"], ["indikator_id", "jahr"]),
    "massnahmen_output": (
        ["teilnehmende", "teilnehmende_sgb2", "zielgruppe"],
        ["massnahme_id", "jahr"],
    ),
}


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


def test_the_cli_export_is_a_materialisation_the_ui_shows(sample_export, tmp_path, instance):
    _, _, settings = sample_export
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


def test_the_job_writes_a_complete_package_and_passes_its_contract(sample_export):
    result, folder, _ = sample_export
    assert re.fullmatch(r"05119000_\d{4}-\d{2}-\d{2}_[0-9a-f]{8}", folder.name)
    assert folder.name.endswith(result.run_id[:8])
    names = {p.name for p in folder.iterdir()}
    assert {f"{t.name}.csv" for t in TABLES} <= names
    assert {"datapackage.json", "auswertung.xlsx", "bericht.html", "manifest.json",
            "pruefbericht.json", "pruefbericht.html"} <= names  # fmt: skip
    [check] = result.get_asset_check_evaluations()
    assert check.check_name == "exportvertrag" and check.passed
    contract = json.loads((folder / "pruefbericht.json").read_text(encoding="utf-8"))
    secrecy = contract.pop(AUDIT_KEY)
    assert set(contract) == {t.name for t in TABLES}
    assert all(r["success"] for r in contract.values())
    assert secrecy["bestanden"] and secrecy["zellen_geprueft"] > 0
    assert secrecy["zellen_schmaler_als_mindestbreite"] == secrecy["zellen_verletzt"] == 0
    narrowest = secrecy["engster_bereich"]
    assert narrowest["maximum"] - narrowest["minimum"] >= secrecy["mindestbreite"] == 2 * THRESHOLD
    assert check.metadata["geheimhaltungspruefung"].data == secrecy  # shown in the UI


def test_the_manifest_lists_every_file_with_its_hash_the_version_and_the_deliveries(sample_export):
    result, folder, settings = sample_export
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    files = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert f"excel/{TABLES[0].name}.csv" in files
    assert manifest["dateien"] == {
        name: hashlib.sha256((folder / name).read_bytes()).hexdigest()
        for name in sorted(files - {"manifest.json"})
    }
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=PROJECT_ROOT, capture_output=True,
                          text=True, check=True).stdout.strip()  # fmt: skip
    assert manifest["pipeline_version"] == head
    assert manifest["run_id"] == result.run_id
    deliveries = warehouse_view(settings, "mart.lieferungen")
    assert sorted(d["sha256"] for d in manifest["lieferungen"]) == sorted(deliveries["sha256"])


def test_the_manifest_names_format_and_municipality_first_and_its_own_hash_last(sample_export):
    _, folder, _ = sample_export
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    city = csv(folder, "kommune").iloc[0]
    keys = list(manifest)
    assert keys[:3] == ["paketformat", "ags", "kommune"] and keys[-1] == "manifest_sha256"
    assert manifest["paketformat"] == PACKAGE_FORMAT == 3
    assert (manifest["ags"], manifest["kommune"]) == (city["gebiet_id"], city["gebiet_name"])
    rest = {k: v for k, v in manifest.items() if k != "manifest_sha256"}
    text = json.dumps(rest, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    assert manifest["manifest_sha256"] == hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_the_package_passes_frictionless_validate(sample_export):
    _, folder, _ = sample_export
    report = frictionless.validate(str(folder / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:10]


def test_csvs_read_back_equal_the_warehouse_views_after_suppression(sample_export):
    _, folder, settings = sample_export
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
    # notes are those of the warehouse, less the ones that would tell a suppressed count
    for shown, full in zip(
        table["hinweis"].fillna(""), table["hinweis_wh"].fillna(""), strict=True
    ):
        assert set(filter(None, shown.split("; "))) <= set(full.split("; "))
    kept = table["nenner"].notna() & table["teilerhebung"].notna()
    assert (table.loc[kept, "hinweis"].fillna("") == table.loc[kept, "hinweis_wh"].fillna("")).all()
    costs = csv(folder, "massnahmen_kosten")
    costs_wh = warehouse_view(settings, "mart.massnahmen_kosten").sort_values(
        ["massnahme_id", "jahr"], ignore_index=True
    )
    shown = ~costs["gesperrt"]
    pd.testing.assert_series_equal(
        costs.loc[shown, "kosten_eur"].astype(float), costs_wh.loc[shown, "kosten_eur"]
    )


def test_hidden_participants_take_every_cost_column_along(sample_export):
    """Otherwise the cost total divided by the cost per participant of other years gives the
    participants back."""
    _, folder, settings = sample_export
    costs = csv(folder, "massnahmen_kosten")
    costs_wh = warehouse_view(settings, "mart.massnahmen_kosten").sort_values(
        ["massnahme_id", "jahr"], ignore_index=True
    )
    hidden = costs["teilnehmende"].isna() & costs_wh["teilnehmende"].notna()
    assert hidden.any()
    for column in COST_COLUMNS:
        assert costs.loc[hidden, column].isna().all(), column


def test_a_value_shared_by_two_tables_is_suppressed_in_both(sample_export):
    """At a threshold that hides many cells, nothing hidden in one table is published in or
    recoverable from another."""
    _, _, settings = sample_export
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


def test_no_exported_count_lies_between_one_and_the_threshold(sample_export):
    _, folder, _ = sample_export
    for table, columns in {
        "indikatoren": ["zaehler", "nenner"],
        "massnahmen_output": ["teilnehmende", "teilnehmende_sgb2", "zielgruppe"],
        "massnahmen_kosten": ["teilnehmende", "kinder_zielgruppe"],
    }.items():
        frame = csv(folder, table)
        for column in columns:
            assert not frame[column].between(1, THRESHOLD - 1).any(), (table, column)


@pytest.mark.parametrize("table", sorted(COUNTS))
def test_the_attacker_recovers_no_suppressed_cell(sample_export, table):
    """For every parent, subtract the published children (and, repeatedly, what that reveals
    one level up or down) – and solve the whole linear system per group as well."""
    _, folder, settings = sample_export
    columns, group_by = COUNTS[table]
    published = csv(folder, table)
    areas = warehouse_view(settings, "mart.gebiete")
    parent_of = dict(zip(areas["gebiet_id"], areas["uebergeordnet_id"], strict=True))
    children: dict[str, list[str]] = {}
    for child, parent in parent_of.items():
        children.setdefault(parent, []).append(child)
    assert published["gesperrt"].any()
    attempts = 0
    for column in columns:
        for _, rows in published.groupby(group_by):
            present = set(rows["gebiet_id"])
            if column == "zielgruppe":  # the children of the band in all quarters of an area,
                # listed (measure active) or not: only a parent with every child listed is
                # their sum
                while partial := {p for p in present if set(children.get(p, ())) - present}:
                    present -= partial
            known = {a: v for a, v in zip(rows["gebiet_id"], rows[column], strict=True)
                     if pd.notna(v) and a in present}  # fmt: skip
            attempts += len(present) - len(known)
            assert peel(known, present, parent_of) == []
            assert determined(known, present, parent_of) == []
    assert attempts > 0


@pytest.fixture(scope="module")
def workbook(sample_export) -> openpyxl.Workbook:
    """The package's workbook, read with its layout (not read-only)."""
    return openpyxl.load_workbook(sample_export[1] / "auswertung.xlsx")


def sheet_rows(sheet) -> tuple[list[str], list[tuple]]:
    values = list(sheet.values)
    return list(values[0]), values[1:]


def test_the_workbook_has_german_headers_grey_suppressed_cells_a_codebook_and_notes(
    sample_export, workbook
):
    _, folder, _ = sample_export
    assert workbook.sheetnames[:2] == ["Hinweise", "Codebuch"]
    assert set(workbook.sheetnames[2:]) == {t.name for t in TABLES}
    sheet = workbook["indikatoren"]
    header, rows = sheet_rows(sheet)
    assert header[:3] == ["Gebietsschlüssel", "Gebiet", "Gebietsebene"]
    assert all(h == TITLES[c] for h, c in zip(header, csv(folder, "indikatoren").columns,
                                              strict=True))  # fmt: skip
    flag, count = header.index(TITLES["gesperrt"]), header.index("Zähler")
    suppressed = [i for i, r in enumerate(rows, 2) if r[flag]]
    assert suppressed
    for row in suppressed[:50]:
        cells = [sheet.cell(row, c + 1) for c in range(count, count + 5)]  # counts, rate, CI
        hidden = [c for c in cells if c.fill.start_color.rgb.endswith("D9D9D9")]
        assert hidden and all(c.value is None for c in hidden)
    shown = [r for r in rows if not r[flag]]
    assert all(isinstance(r[count], int | type(None)) for r in shown)
    codebook = list(workbook["Codebuch"].values)
    documented = {(r[0], r[1]) for r in codebook[1:]}
    for t in TABLES:
        assert {(t.name, c) for c in csv(folder, t.name).columns} <= documented
    assert ("Indikator", "seu_sprache") in documented
    notes = " ".join(str(r[1]) for r in workbook["Hinweise"].values)
    for gap in ("schuleingang 2020", "schuleingang 2021", "schuleingang 2022: Teilerhebung"):
        assert gap in notes
    assert "1 bis 4" in notes and "grau hinterlegt" in notes and "excel/" in notes


def test_every_sheet_has_a_frozen_filtered_header_and_columns_wide_enough(workbook):
    for sheet in workbook.worksheets:
        header, rows = sheet_rows(sheet)
        last = openpyxl.utils.get_column_letter(len(header))
        assert sheet.freeze_panes == "A2", sheet.title
        assert sheet.auto_filter.ref == f"A1:{last}{len(rows) + 1}", sheet.title
        assert all(c.font.b for c in sheet[1])
        for index, title in enumerate(header, 1):
            letter = openpyxl.utils.get_column_letter(index)
            assert sheet.column_dimensions[letter].width >= len(title) + 2, (sheet.title, title)


def column_cells(sheet, title: str) -> list:
    header = [c.value for c in sheet[1]]
    index = header.index(title) + 1
    return [row[0] for row in sheet.iter_rows(min_row=2, min_col=index, max_col=index)]


@pytest.mark.parametrize(
    ("table", "title", "number_format"),
    [
        ("indikatoren", "Wert", "0.0"),
        ("indikatoren", "Zähler", "#,##0"),
        ("indikatoren", "Jahr", "0"),
        ("massnahmen_output", "Reichweite", "0.0"),
        ("massnahmen_wirkung", "p-Wert", "0.000"),
        ("massnahmen_wirkung", "p-Wert Vortrendtest", "0.000"),
        ("massnahmen_wirkung", "Effekt (Prozentpunkte)", "0.00"),
        ("massnahmen_kosten", "Kosten", '#,##0.00 "€"'),
        ("massnahmen_kosten", "Kosten je Teilnehmenden", '#,##0.00 "€"'),
        ("gebiete", "Gültig ab", "DD.MM.YYYY"),
        ("datenqualitaet", "Eingang", "DD.MM.YYYY HH:MM"),
    ],
)
def test_numbers_and_dates_are_stored_as_such_with_a_german_display(
    workbook, table, title, number_format
):
    cells = [c for c in column_cells(workbook[table], title) if c.value is not None]
    assert cells
    assert {c.number_format for c in cells} == {number_format}
    kinds = (datetime,) if "YYYY" in number_format else (int, float)
    assert all(isinstance(c.value, kinds) and not isinstance(c.value, bool) for c in cells)
    if "YYYY" not in number_format:  # wide enough for every value as shown, not "###"
        letter = cells[0].column_letter
        longest = max(len(f"{c.value:,.3f}") for c in cells) - 2
        assert workbook[table].column_dimensions[letter].width >= min(longest, 60)


def test_measure_sheets_show_the_title_beside_the_id(sample_export, workbook):
    _, folder, _ = sample_export
    titles = dict(zip(*[csv(folder, "massnahmen")[c] for c in ("massnahme_id", "titel")],
                      strict=True))  # fmt: skip
    names = csv(folder, "indikatorkatalog").set_index("indikator_id")["indikator_name"]
    for table in ("massnahmen_output", "massnahmen_wirkung", "massnahmen_kosten"):
        header, rows = sheet_rows(workbook[table])
        at = header.index(TITLES_OF[table]["massnahme_id"])
        assert header[at + 1] == "Maßnahme"
        assert all(row[at + 1] == titles[row[at]] for row in rows)
    header, rows = sheet_rows(workbook["massnahmen_wirkung"])
    at = header.index("Indikator (Kennung)")
    assert header[at + 1] == "Indikator" and all(r[at + 1] == names[r[at]] for r in rows)


def test_data_quality_is_sorted_by_source_and_file(sample_export, workbook):
    _, folder, _ = sample_export
    header, rows = sheet_rows(workbook["datenqualitaet"])
    source, name = header.index("Quelle"), header.index("Datei")
    keys = [(r[source], r[name]) for r in rows]
    assert keys == sorted(keys)
    table = csv(folder, "datenqualitaet")
    assert list(zip(table["quelle"], table["datei"], strict=True)) == keys


def test_the_codebook_refers_only_to_what_the_package_holds(sample_export, workbook):
    _, folder, _ = sample_export
    _, rows = sheet_rows(workbook["Codebuch"])
    columns = {t.name: set(csv(folder, t.name).columns) for t in TABLES}
    for table, column, title, _, description in rows:
        assert not re.search(r"\b(mart|core|raw|staging|quarantine|meta)\.", description)
        assert ".yaml" not in description
        if table in columns and column not in columns[table]:  # added beside an id
            assert description.startswith("Nur in auswertung.xlsx")
            assert title in sheet_rows(workbook[table])[0]
        for named in re.findall(r"Spalte (\w+)", description):
            assert any(named in c for c in columns.values()), (table, column, named)


def test_the_csv_files_for_german_excel_hold_the_same_values(sample_export):
    _, folder, _ = sample_export
    package = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    assert package["excelCsv"]["canonical"] is False
    assert "excel/" not in json.dumps(package["resources"])
    for table in TABLES:
        raw = (folder / "excel" / f"{table.name}.csv").read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")  # BOM
        excel = pd.read_csv(folder / "excel" / f"{table.name}.csv", sep=";", decimal=",",
                            encoding="utf-8-sig", dtype={"gebiet_id": str})  # fmt: skip
        canonical = csv(folder, table.name)
        resource = next(r for r in package["resources"] if r["name"] == table.name)
        for field in resource["schema"]["fields"]:
            if field["type"] in ("date", "datetime"):
                name = field["name"]
                excel[name] = pd.to_datetime(excel[name], format="%d.%m.%Y" + (
                    " %H:%M:%S" if field["type"] == "datetime" else ""))  # fmt: skip
                canonical[name] = pd.to_datetime(canonical[name])
        pd.testing.assert_frame_equal(excel, canonical, check_dtype=False)


def test_the_contract_report_names_each_expectation_in_german(sample_export):
    _, folder, _ = sample_export
    page = (folder / "pruefbericht.html").read_text(encoding="utf-8")
    assert "expect_" not in page
    for text in ("Spalten in der vereinbarten Reihenfolge", "Schlüssel eindeutig",
                 "Fremdschlüssel verweist auf eine vorhandene Zeile"):  # fmt: skip
        assert text in page
    contract = json.loads((folder / "pruefbericht.json").read_text(encoding="utf-8"))
    [run] = contract["indikatoren"]["validation_results"]
    assert all(e["expectation_type"].startswith("expect_") and e["beschreibung"]
               for e in run["expectations"])  # fmt: skip


def test_the_report_has_a_chart_for_every_measure_and_indicator(sample_export, sample_run):
    _, folder, settings = sample_export
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
    # the trend, and the areas with intervals when a finest area is published in a fully
    # surveyed year with a published city value (suppression can hide all of them)
    values = csv(folder, "indikatoren")
    full = values[~values["teilerhebung"].fillna(False).astype(bool) & values["wert"].notna()]
    city_years = set(zip(full.loc[full["ebene_rang"] == 0, "indikator_id"],
                         full.loc[full["ebene_rang"] == 0, "jahr"], strict=True))  # fmt: skip
    finest = full[full["analyseeinheit"].fillna(False).astype(bool)]
    ranked = {i for i, y in zip(finest["indikator_id"], finest["jahr"], strict=True)
              if (i, y) in city_years}  # fmt: skip
    catalogue = warehouse_view(settings, "mart.indikatorkatalog")["indikator_id"]
    assert all(charts[i] == 1 + (i in ranked) for i in catalogue)
    assert len(ranked) >= len(catalogue) - 2


def test_the_report_opens_with_a_summary_contents_and_a_glossary(sample_export, sample_run):
    _, folder, settings = sample_export
    page = (folder / "bericht.html").read_text(encoding="utf-8")
    order = [
        page.index(f'id="{a}"') for a in ("zusammenfassung", "inhalt", "glossar", "massnahmen")
    ]
    assert order == sorted(order)
    targets = set(re.findall(r'href="#([^"]+)"', page))
    assert targets and targets <= set(re.findall(r'id="([^"]+)"', page))
    summary = page[page.index('id="zusammenfassung"') : page.index('id="inhalt"')]
    effects = warehouse_view(settings, "mart.massnahmen_wirkung")
    assert summary.count('<li class="finding">') == effects["massnahme_id"].nunique()
    assert "SOPESS Sprechen und Sprache: auffällig −4,9 Prozentpunkte (95-%-KI" in summary
    glossary = page[page.index('id="glossar"') : page.index('id="massnahmen"')]
    for term in ("Prozentpunkte (pp)", "Konfidenzintervall (KI)", "p-Wert", "Vortrendtest",
                 "belastbar", "Hinweis", "kein Nachweis", "nicht schätzbar", "Teilerhebung",
                 "Sperrung", "ab 0"):  # fmt: skip
        assert term in glossary, term


def test_the_report_names_outcomes_and_writes_numbers_the_german_way(sample_export, sample_run):
    _, folder, settings = sample_export
    page = (folder / "bericht.html").read_text(encoding="utf-8")
    catalogue = warehouse_view(settings, "mart.indikatorkatalog").set_index("indikator_id")
    for outcome in warehouse_view(settings, "mart.massnahmen_wirkung")["indikator_id"]:
        assert f'<td class="text">{catalogue.loc[outcome, "indikator_name"]}</td>' in page
        assert f">{outcome}<" not in page
    text = re.sub(r"<[^>]+>", " ", re.sub(r'src="[^"]+"', "", page))
    body = text[text.index("Zusammenfassung") :]
    assert not re.search(r"\d\.\d", body), re.search(r".{40}\d\.\d.{40}", body)
    assert "Stadtbezirk" in page and "Sozialquartier" in page  # the sample's levels, from data
    for source in ("report.py", "templates/bericht.html"):
        code = (PROJECT_ROOT / "indicators/export" / source).read_text(encoding="utf-8")
        assert "Sozialquartier" not in code and "Stadtbezirk" not in code


def test_suppressed_and_uncomputable_cells_differ_in_the_report(sample_export):
    _, folder, _ = sample_export
    page = (folder / "bericht.html").read_text(encoding="utf-8")
    m11 = page[page.index('<h3 id="M11">') : page.index('<h3 id="M12">')]
    [row_2022] = re.findall(r"<tr><td>2022</td>.*?</tr>", m11)
    assert row_2022.endswith("<td>–</td></tr>")  # no cohort in the partial survey year
    catalogue = csv(folder, "indikatorkatalog").set_index("indikator_id")["indikator_name"]
    assert f"2022: {catalogue['seu_zahlen']} nur als Teilerhebung erhoben" in m11
    m02 = page[page.index('<h3 id="M02">') : page.index('<h3 id="M03">')]
    assert "weil keine Wirkung als belastbar bewertet ist" in m02  # 4 treated areas: Hinweis
    assert re.search(r"<tr><td>\d{4}</td>(<td>[^<]*</td>)*<td>\.</td>", page)  # suppressed


def test_each_outcome_chart_marks_the_start_of_its_measure(sample_export, monkeypatch):
    _, _, settings = sample_export
    with duckdb.connect(str(settings.published), read_only=True) as con:
        tables = read_tables(con, THRESHOLD)
    calls = []
    real = report_module.rate_chart

    def recording(series, title, unit, start=None):
        calls.append((title, start))
        return real(series, title, unit, start)

    monkeypatch.setattr(report_module, "rate_chart", recording)
    [measure] = tables.frames["massnahmen"].query("massnahme_id == 'M03'").itertuples()
    report_module._measure(tables, measure, report_module._indicator_names(tables))
    first = int(report_module.measure_starts(tables, "M03").min())
    assert calls == [(calls[0][0], first)] and calls[0][0].startswith("M03: SOPESS Sprechen")


def test_the_report_maps_hide_exactly_what_the_exported_table_hides(sample_export, monkeypatch):
    """The maps are drawn from the published values: every area whose value indikatoren.csv
    suppresses is passed as suppressed, every other area with its exported value."""
    from indicators.compute.catalogue import load_catalogue

    _, folder, settings = sample_export
    page = (folder / "bericht.html").read_text(encoding="utf-8")
    maps = page[page.index('<h2 id="karten">') : page.index('<h2 id="indikatoren">')]
    mapped = load_catalogue().mapped
    titles = re.findall(r'<img class="map" src="data:image/png;base64,[^"]+" alt="([^"]+)"', maps)
    assert [t.split(" 20")[0] for t in titles] == [ind.label for ind in mapped]
    with duckdb.connect(str(settings.published), read_only=True) as con:
        tables = read_tables(con, THRESHOLD)
        geometries = report_module.read_geometries(con)
    calls = []
    real = report_module.level_map

    def recording(shapes, values, **kwargs):
        calls.append((kwargs["title"], values, kwargs["suppressed"]))
        return real(shapes, values, **kwargs)

    monkeypatch.setattr(report_module, "level_map", recording)
    report_module._maps(tables, geometries)
    exported = pd.read_csv(folder / "indikatoren.csv", dtype={"gebiet_id": str})
    partial = exported["teilerhebung"].fillna(False).astype(bool)  # empty: withheld
    finest = exported[exported["analyseeinheit"] & ~partial]
    assert [title for title, _, _ in calls] == titles
    hidden_somewhere = 0
    for indicator, (title, values, suppressed) in zip(mapped, calls, strict=True):
        rows = finest[finest["indikator_id"] == indicator.id]
        year = rows.loc[rows["wert"].notna(), "jahr"].max()
        assert f" {year}, " in title
        rows = rows[rows["jahr"] == year].set_index("gebiet_id")
        assert set(suppressed) == set(rows.index[rows["gesperrt"] & rows["wert"].isna()])
        shown = values.set_index("gebiet_id")["wert"]
        assert shown.index.tolist() == rows.index.tolist()
        pd.testing.assert_series_equal(shown, rows["wert"], check_names=False)
        hidden_somewhere += len(suppressed)
    assert hidden_somewhere > 0  # the sample hides some finest areas of the mapped indicators


def test_the_report_keeps_rows_whole_and_repeats_headers_in_print(sample_export):
    _, folder, _ = sample_export
    page = (folder / "bericht.html").read_text(encoding="utf-8")
    assert print_rules(page) >= PRINT_RULES
    assert page.count("<thead>") == page.count("<table>")


@pytest.mark.skipif(find_browser() is None, reason="no Chromium on the PATH (make browser)")
def test_the_report_prints_to_a_reasonable_pdf_in_headless_chromium(sample_export, tmp_path):
    _, folder, _ = sample_export
    pages, problems = check_print(folder / "bericht.html", tmp_path / "bericht.pdf",
                                  find_browser())  # fmt: skip
    assert problems == [] and pages > 10


def test_a_rerun_on_unchanged_inputs_gives_identical_table_files(sample_export, tmp_path):
    _, folder, settings = sample_export
    again = export_package(settings.published, tmp_path, "0123456789", threshold=THRESHOLD,
                           version="test", created=datetime(2030, 3, 1))  # fmt: skip
    tables = [f"{t.name}.csv" for t in TABLES] + [f"excel/{t.name}.csv" for t in TABLES]
    for name in [*tables, "datapackage.json", "auswertung.xlsx"]:
        assert (again.folder / name).read_bytes() == (folder / name).read_bytes(), name


def tamper(monkeypatch) -> None:
    """Make one exported rate impossible (150 %) before the contract runs."""
    original = export_package_module.read_tables

    def read_tampered(con, threshold, cell_key, progress):
        tables = original(con, threshold, cell_key, progress)
        values = tables.frames["indikatoren"]
        values.loc[values["wert"].notna().idxmax(), "wert"] = 150.0
        return tables

    monkeypatch.setattr(export_package_module, "read_tables", read_tampered)


def test_a_tampered_table_fails_the_cli_with_exit_1_and_leaves_nothing(
    sample_export, tmp_path, monkeypatch, instance
):
    _, _, settings = sample_export
    tamper(monkeypatch)
    target = tmp_path / "exports"
    out = export_cli("--published", str(settings.published), "--export-dir", str(target))
    assert out.exit_code == 1
    assert "Exportvertrag ist verletzt" in out.output
    assert "Tabelle indikatoren" in out.output and "150" in out.output
    assert list(target.iterdir()) == []


def test_a_tampered_table_fails_the_blocking_check_and_leaves_nothing(sample_export, monkeypatch):
    _, _, settings = sample_export
    tamper(monkeypatch)
    before = set(settings.export_dir.iterdir())
    job = build_definitions(settings).resolve_job_def("jaehrlicher_export")
    result = job.execute_in_process(instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)
    assert not result.success
    [check] = result.get_asset_check_evaluations()
    assert not check.passed and check.check_name == "exportvertrag"
    assert set(settings.export_dir.iterdir()) == before


def test_the_export_reads_only_aggregate_mart_views(sample_export):
    _, _, settings = sample_export
    assert all(t.view.startswith("mart.") for t in TABLES)
    staging = dataclasses.replace(TABLES[1], view="staging.gebiete")
    with (
        duckdb.connect(str(settings.published), read_only=True) as con,
        pytest.raises(NotAggregateError),
    ):
        _read(con, staging, {"mart.gebiete"})


def test_an_existing_package_is_never_overwritten(sample_export):
    result, folder, settings = sample_export
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

    def read_hostile(con, threshold, cell_key, progress):
        tables = original(con, threshold, cell_key, progress)
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


def test_texts_are_written_as_text_never_as_formulas_or_markup(
    sample_export, tmp_path, monkeypatch
):
    _, _, settings = sample_export
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
    sample_export, tmp_path, monkeypatch, instance
):
    _, _, settings = sample_export
    hostile(monkeypatch, city_id="../../x")
    target = tmp_path / "a" / "b" / "exports"
    out = export_cli("--published", str(settings.published), "--export-dir", str(target))
    assert out.exit_code == 1 and "kein Amtlicher Gemeindeschlüssel" in " ".join(out.output.split())
    assert not target.parent.parent.exists()


def test_an_export_removes_what_a_killed_export_left_behind(sample_export, tmp_path):
    _, _, settings = sample_export
    stale = tmp_path / ".05119000_2030-03-01_deadbeef.unfertig"
    stale.mkdir()
    (stale / "indikatoren.csv").write_text("halb")
    export_package(settings.published, tmp_path, "0123456789", threshold=THRESHOLD,
                   version="test", created=datetime(2030, 3, 1))  # fmt: skip
    assert [p.name for p in tmp_path.iterdir()] == ["05119000_2030-03-01_01234567"]


# --- pooling statistics ----------------------------------------------------------------------

POOLING_KEY = ["massnahme_id", "indikator_id", "effekt"]


def link_set(frame: pd.DataFrame) -> set[tuple[str, str]]:
    return set(zip(frame["massnahme_id"], frame["indikator_id"], strict=True))


def test_pooling_statistics_are_exported_only_where_no_quarter_value_is_suppressed(
    sample_export, workbook
):
    _, folder, _ = sample_export
    totals, areas = csv(folder, "wirkung_summen"), csv(folder, "wirkung_gebiete")
    effects, values = csv(folder, "massnahmen_wirkung"), csv(folder, "indikatoren")
    hidden = set(values.loc[values["analyseeinheit"] & values["gesperrt"], "indikator_id"])
    estimated = effects[effects["effekt_pp"].notna()]
    clean = estimated[~estimated["indikator_id"].isin(hidden)]
    exposed = estimated[estimated["indikator_id"].isin(hidden)]
    assert (effects["gewichtung"] == "jedes Sozialquartier gleich").all()
    assert len(clean) and len(exposed)  # the sample has both kinds of link
    assert link_set(totals) == link_set(areas) == link_set(clean)
    overall = totals[totals["effekt"] == "gesamt"].merge(clean, on=["massnahme_id", "indikator_id"])
    assert overall["effekt_pp_x"].to_numpy() == pytest.approx(overall["effekt_pp_y"].to_numpy())
    notes = [str(r[1]) for r in workbook["Hinweise"].values if r[0] == "Poolingstatistik nicht "
             "exportiert"]  # fmt: skip
    assert len(notes) == len(exposed)
    for link in exposed.itertuples():
        [note] = [n for n in notes if f"({link.massnahme_id})" in n
                  and f"({link.indikator_id})" in n]  # fmt: skip
        assert "gesperrte Werte des Wirkindikators" in note


def test_pooling_scores_sum_to_zero_and_cells_to_the_weight_total(sample_export):
    _, folder, _ = sample_export
    totals, areas = csv(folder, "wirkung_summen"), csv(folder, "wirkung_gebiete")
    areas["betrag"] = areas["einfluss"].abs()
    sums = areas.groupby(POOLING_KEY, as_index=False)[["einfluss", "betrag", "behandelte_zellen"]]
    joined = sums.sum().merge(totals, on=POOLING_KEY, validate="one_to_one")
    assert len(joined) == len(totals)
    assert (joined["einfluss"].abs() <= 1e-9 * joined["betrag"].clip(lower=1)).all()
    assert joined["behandelte_zellen"].to_numpy() == pytest.approx(joined["gewichte_summe"])
    assert (joined["n_gebiete"] == areas.groupby(POOLING_KEY).size().to_numpy()).all()
    full = areas.merge(totals, on=POOLING_KEY)
    assert (full["gewichte_ohne_gebiet"] <= full["gewichte_summe"]).all()
    assert (full["gewichte_ohne_gebiet"] >= 0).all()
    assert full.loc[full["effekt_ohne_gebiet"].isna(), "gewichte_ohne_gebiet"].eq(0).all()


def tamper_pooling(monkeypatch, change) -> None:
    original = export_package_module.read_tables

    def read_tampered(con, threshold, cell_key, progress):
        tables = original(con, threshold, cell_key, progress)
        change(tables.frames)
        return tables

    monkeypatch.setattr(export_package_module, "read_tables", read_tampered)


def _shift_one_score(frames) -> None:
    frames["wirkung_gebiete"].loc[0, "einfluss"] += 0.5


def _raise_one_left_out_weight(frames) -> None:
    frames["wirkung_gebiete"].loc[0, "gewichte_ohne_gebiet"] = 1e6


def _drop_one_total(frames) -> None:
    frames["wirkung_summen"] = frames["wirkung_summen"].iloc[1:]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_shift_one_score, "Einflüsse der Gebiete summieren sich je Schätzwert zu 0"),
        (_raise_one_left_out_weight, "Gewichte ohne ein Gebiet höchstens gewichte_summe"),
        (_drop_one_total, "Fremdschlüssel verweist auf eine vorhandene Zeile"),
    ],
)
def test_tampered_pooling_statistics_fail_the_contract_in_german(
    sample_export, tmp_path, monkeypatch, change, message
):
    _, _, settings = sample_export
    tamper_pooling(monkeypatch, change)
    with pytest.raises(export_package_module.ContractViolation) as refused:
        export_package(settings.published, tmp_path, "0123456789", threshold=THRESHOLD,
                       version="test", created=datetime(2030, 3, 1))  # fmt: skip
    assert "Tabelle wirkung_gebiete" in str(refused.value) and message in str(refused.value)
    assert list(tmp_path.iterdir()) == []
