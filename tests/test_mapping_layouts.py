"""Mappings that describe real layouts: beside the deliveries, checked on load, headers over
several rows, symbols, the year from the file name, long files, sums, dropped and aggregate
rows. Each file is written here and its values are checked by hand."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import yaml

from conftest import ATLAS, write_csv
from indicators.ingest import delivery
from indicators.ingest.delivery import STATUS_REJECTED, check_delivery, report
from indicators.ingest.mapping import MAPPINGS_DIR, MappingError, load_mapping
from indicators.ingest.reader import read_delivery
from schemas.source import References

KITA = "kindertagesbetreuung"
HEAD = (
    "Sozialquartier-Nr.;Sozialquartier;Jahr;Kinder unter 3 Jahren;Betreute Kinder unter 3 "
    "Jahren;Kinder 3 bis unter 6 Jahren;Betreute Kinder 3 bis unter 6 Jahren"
)


def write_mapping(data_dir: Path, source: str = KITA, **changes: object) -> Path:
    """The project's mapping of ``source`` with top-level ``changes`` (None removes a key),
    written beside the deliveries."""
    raw = yaml.safe_load((MAPPINGS_DIR / f"{source}.yaml").read_text(encoding="utf-8"))
    for key, value in changes.items():
        if value is None:
            raw.pop(key, None)
        else:
            raw[key] = value
    path = data_dir / "mappings" / f"{source}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def write_lines(path: Path, *lines: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8"))
    return path


def checked(path: Path, refs: References, data_dir: Path, source: str = KITA):
    result = check_delivery(path, source, refs, data_dir=data_dir)
    if result.rejection is None:
        assert result.rows_read == result.rows_staged + result.rows_quarantined
    return result


def rules_of(result, row: int) -> list[str]:
    return [f.rule for f in result.findings if f.row == row]


# --- mappings beside the deliveries, checked on load -----------------------------------------


def test_a_mapping_beside_the_deliveries_comes_before_the_default(tmp_path, refs, data_dir):
    columns = {**load_mapping(KITA).columns, "gebiet_id": ("Quartier",)}
    write_mapping(data_dir, columns={k: list(v) for k, v in columns.items()})
    path = write_lines(tmp_path / "kita.csv", HEAD.replace("Sozialquartier-Nr.", "Quartier"),
                       "1101;Altstadt;2015;300;40;310;250")  # fmt: skip
    assert load_mapping(KITA, data_dir).columns["gebiet_id"] == ("Quartier",)
    assert load_mapping("schulwechsel", data_dir) == load_mapping("schulwechsel")  # fallback
    assert checked(path, refs, data_dir).rows.valid["gebiet_id"].tolist() == ["1101"]
    assert "Pflichtspalte" in checked(path, refs, None).rejection  # the default mapping


BAD_MAPPINGS = [
    ({"colums": {"gebiet_id": ["Nr."]}}, "'colums' ist keine bekannte Angabe"),
    ({"columns": None}, "'columns' fehlt oder ist leer"),
    ({"file": {"header_rows": "zwei"}}, "'file: header_rows' muss eine ganze Zahl von 1 bis 10"),
    ({"file": {"sheet": 1.5}}, "'file: sheet' muss ein Blattname oder eine Nummer"),
    ({"columns": {"gebiet_id": "Nr."}}, "'columns: gebiet_id' muss eine Liste von Texten sein"),
    ({"columns": {"kinder": ["Kinder"]}}, "'kinder' ist kein Feld der Quelle"),
    ({"year": {"from_file_name": "kita_(\\d{4"}}, "kein gültiger regulärer Ausdruck"),
    ({"year": {"from_file_name": "\\d{4}"}}, "braucht eine Gruppe in runden Klammern"),
    ({"sums": {"kinder_u3": ["0 bis 1", "1 bis 2"]}}, "'sums: kinder_u3' steht auch unter"),
    ({"layout": "long"}, "'long' fehlt"),
    ({"layout": "long", "long": {"variable_column": ["Merkmal"]}}, "'long: value_column' fehlt"),
    ({"layout": "quer"}, "'layout' muss 'wide' oder 'long' sein"),
    ({"symbols": {"unknown": ["-"]}}, "'-' steht unter 'unknown' und unter 'zero'"),
    ({"rows": {"drop": [{"column": "gebiet_name"}]}}, "'rows: drop 1' braucht 'column'"),
]


@pytest.mark.parametrize(("changes", "message"), BAD_MAPPINGS)
def test_a_wrong_mapping_rejects_the_file_naming_the_mapping_and_the_key(
    tmp_path, refs, data_dir, changes, message
):
    mapping = write_mapping(data_dir, **changes)
    with pytest.raises(MappingError, match="Spaltenzuordnung") as raised:
        load_mapping(KITA, data_dir)
    assert message in str(raised.value) and str(mapping) in str(raised.value)
    path = write_lines(tmp_path / "kita.csv", HEAD, "1101;Altstadt;2015;300;40;310;250")
    result = checked(path, refs, data_dir)
    assert result.status == STATUS_REJECTED and result.rows_read == 0
    assert result.rejection.startswith("Datei kita.csv: Spaltenzuordnung") and message in (
        result.rejection
    )
    assert "ABGELEHNT" in report(result)


def test_a_mapping_that_is_no_yaml_is_rejected(tmp_path, refs, data_dir):
    (data_dir / "mappings").mkdir()
    (data_dir / "mappings" / f"{KITA}.yaml").write_text("columns: [unclosed", encoding="utf-8")
    path = write_lines(tmp_path / "kita.csv", HEAD, "1101;Altstadt;2015;300;40;310;250")
    assert "kein gültiges YAML" in checked(path, refs, data_dir).rejection


def test_kekiz_validate_reports_a_wrong_mapping_beside_the_deliveries(tmp_path, data_dir):
    from test_cli import kekiz

    write_mapping(data_dir, year={"from_file_name": "kita_(\\d{4"})
    path = write_lines(tmp_path / "kita_2015.csv", HEAD, "1101;Altstadt;2015;300;40;310;250")
    done = kekiz("validate", "--source", KITA, "--data-dir", str(data_dir), str(path))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "ABGELEHNT" in done.stdout and "kein gültiger regulärer Ausdruck" in done.stdout


def test_a_file_rejected_for_its_mapping_is_recorded_when_loading(tmp_path, refs, data_dir):
    import duckdb

    from conftest import CATALOGUE
    from indicators.store.loading import stage_deliveries
    from indicators.store.schema import ensure_schema

    write_mapping(data_dir, layout="long")
    path = write_lines(tmp_path / "kita.csv", HEAD, "1101;Altstadt;2015;300;40;310;250")
    with duckdb.connect() as con:
        ensure_schema(con, CATALOGUE)
        [loaded] = stage_deliveries(
            con, KITA, [path], tmp_path / "archiv", CATALOGUE.by_id(), data_dir=data_dir
        )
        assert loaded.check.status == STATUS_REJECTED and "'long' fehlt" in loaded.check.rejection
        assert con.sql("SELECT status FROM raw.deliveries").fetchall() == [("abgelehnt",)]


# --- header over several rows ------------------------------------------------------------------

TWO_ROW_COLUMNS = {
    "gebiet_id": ["Sozialquartier-Nr."],
    "gebiet_name": ["Sozialquartier"],
    "jahr": ["Jahr"],
    "kinder_u3": ["Kinder unter 3"],
    "kinder_3_5": ["Kinder 3 bis unter 6"],
    "betreut_u3": ["Betreute Kinder unter 3"],
    "betreut_3_5": ["Betreute Kinder 3 bis unter 6"],
}
TOP = ["Sozialquartier-Nr.", "Sozialquartier", "Jahr", "Kinder", None, "Betreute Kinder", None]
BOTTOM = [None, None, None, "unter 3", "3 bis unter 6", "unter 3", "3 bis unter 6"]


def test_a_header_over_two_rows_joins_the_titles_of_merged_cells(tmp_path, refs, data_dir):
    write_mapping(data_dir, file={"header_rows": 2}, columns=TWO_ROW_COLUMNS)
    path = write_lines(
        tmp_path / "kita.csv",
        "Kindertagesbetreuung am 1.3.2015",
        ";".join(c or "" for c in TOP),
        ";".join(c or "" for c in BOTTOM),
        "1101;Altstadt;2015;300;310;40;250",
        "",
        "1102;Hafen;2015;200;210;30;190",
    )
    result = checked(path, refs, data_dir)
    assert result.findings == [] and result.table.header_row == 2
    valid = result.rows.valid
    assert valid.index.tolist() == [4, 6]  # title, two header rows, a blank line: all accounted
    assert valid[["kinder_u3", "kinder_3_5", "betreut_u3", "betreut_3_5"]].values.tolist() == [
        [300, 310, 40, 250],
        [200, 210, 30, 190],
    ]
    assert "Kopfzeilen in Zeile 2 bis 3" in report(result)


def test_a_header_over_two_rows_in_a_workbook_with_merged_cells(tmp_path, refs, data_dir):
    write_mapping(data_dir, file={"header_rows": 2}, columns=TWO_ROW_COLUMNS)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in (TOP, BOTTOM, [1101, "Altstadt", 2015, 300, 310, 40, 250]):
        sheet.append(row)
    sheet.merge_cells("D1:E1")
    sheet.merge_cells("F1:G1")
    sheet.merge_cells("A1:A2")
    workbook.save(tmp_path / "kita.xlsx")
    result = checked(tmp_path / "kita.xlsx", refs, data_dir)
    assert result.findings == [] and result.table.unknown_columns == []
    assert result.rows.valid.loc[3, ["kinder_3_5", "betreut_3_5"]].tolist() == [310, 250]


def test_a_header_over_two_rows_where_the_file_has_one_is_rejected(tmp_path, refs, data_dir):
    write_mapping(data_dir, file={"header_rows": 2}, columns=TWO_ROW_COLUMNS)
    path = write_lines(tmp_path / "kita.csv", HEAD, "1101;Altstadt;2015;300;40;310;250")
    rejection = checked(path, refs, data_dir).rejection
    assert "keine Kopfzeile gefunden" in rejection and "file: header_rows" in rejection


# --- symbols -----------------------------------------------------------------------------------


def test_configured_symbols_for_unknown_and_zero(tmp_path, refs, data_dir):
    write_mapping(data_dir, symbols={"unknown": [".", "x", "...", "/"], "zero": ["-", "–"]})
    path = write_lines(tmp_path / "kita.csv", HEAD, "1101;Altstadt;2015;x;–;...;250",
                       "1102;Hafen;2015;200;-;/;.")  # fmt: skip
    result = checked(path, refs, data_dir)
    assert result.findings == []
    valid = result.rows.valid
    assert pd.isna(valid.at[2, "kinder_u3"]) and pd.isna(valid.at[2, "kinder_3_5"])
    assert valid["betreut_u3"].tolist() == [0, 0]
    assert valid.at[2, "gesperrte_felder"] == "kinder_u3,kinder_3_5"
    assert valid.at[3, "gesperrte_felder"] == "kinder_3_5,betreut_3_5"
    default = checked(path, refs, None)  # '.' and '-' only: 'x' is no number
    assert "'x' ist keine gültige Zahl" in " ".join(rules_of(default, 2))


# --- year from the file name or the mapping ---------------------------------------------------

NO_YEAR = HEAD.replace(";Jahr", "")


def test_the_year_from_the_file_name(tmp_path, refs, data_dir):
    write_mapping(data_dir, year={"from_file_name": "kita_(\\d{4})"})
    path = write_lines(tmp_path / "kita_2015.csv", NO_YEAR, "1101;Altstadt;300;40;310;250")
    result = checked(path, refs, data_dir)
    assert result.findings == [] and result.rows.valid["jahr"].tolist() == [2015]
    with_column = write_lines(tmp_path / "kita_2015_b.csv", HEAD, "1101;A;2016;300;40;310;250")
    assert checked(with_column, refs, data_dir).rows.valid["jahr"].tolist() == [2016]


def test_a_file_name_without_the_year_is_rejected_naming_the_pattern(tmp_path, refs, data_dir):
    write_mapping(data_dir, year={"from_file_name": "kita_(\\d{4})"})
    path = write_lines(tmp_path / "kita_neu.csv", NO_YEAR, "1101;Altstadt;300;40;310;250")
    rejection = checked(path, refs, data_dir).rejection
    assert rejection.startswith("Datei kita_neu.csv: der Dateiname enthält kein Jahr")
    assert "'kita_(\\d{4})'" in rejection


def test_the_year_from_the_mapping(tmp_path, refs, data_dir):
    write_mapping(data_dir, year={"value": 2019})
    path = write_lines(tmp_path / "kita.csv", NO_YEAR, "1101;Altstadt;300;40;310;250")
    assert checked(path, refs, data_dir).rows.valid["jahr"].tolist() == [2019]


# --- long layout -------------------------------------------------------------------------------

LONG = {"variable_column": ["Merkmal"], "value_column": ["Anzahl"]}
LONG_HEAD = "Sozialquartier-Nr.;Sozialquartier;Merkmal;Anzahl"


def long_lines(area: str, name: str, values: tuple[int, int, int, int]) -> list[str]:
    labels = ["Kinder unter 3 Jahren", "Betreute Kinder unter 3 Jahren",
              "Kinder 3 bis unter 6 Jahren", "Betreute Kinder 3 bis unter 6 Jahren"]  # fmt: skip
    return [f"{area};{name};{label};{value}" for label, value in zip(labels, values, strict=True)]


def test_a_long_file_is_combined_into_one_record_per_area(tmp_path, refs, data_dir):
    write_mapping(data_dir, layout="long", long=LONG, year={"from_file_name": "_(\\d{4})"})
    lines = [*long_lines("1101", "Altstadt", (300, 40, 310, 250)), "1101;Altstadt;Fläche;2,5",
             *long_lines("1102", "Hafen", (200, 30, 210, 190))]  # fmt: skip
    path = write_lines(tmp_path / "kita_2015.csv", LONG_HEAD, *lines)
    result = checked(path, refs, data_dir)
    assert result.findings == [] and (result.rows_read, result.rows_staged) == (2, 2)
    valid = result.rows.valid
    assert valid.index.tolist() == [2, 7]  # the first line of each area
    assert valid.loc[7, ["jahr", "kinder_u3", "betreut_u3", "kinder_3_5", "betreut_3_5"]].tolist(
    ) == [2015, 200, 30, 210, 190]  # fmt: skip
    assert any("Unbekannte Merkmale in Spalte 'Merkmal'" in w and "'Fläche'" in w
               for w in result.warnings)  # fmt: skip
    assert any("9 Datenzeilen der Datei wurden zu 2 Datensätzen" in w for w in result.warnings)
    assert "Datensätze (je Schlüssel zusammengefasste Zeilen) gelesen: 2" in report(result)


def test_a_variable_twice_for_one_area_quarantines_the_record(tmp_path, refs, data_dir):
    write_mapping(data_dir, layout="long", long=LONG, year={"value": 2015})
    lines = [*long_lines("1101", "Altstadt", (300, 40, 310, 250)),
             "1101;Altstadt;Kinder unter 3 Jahren;301",
             *long_lines("1102", "Hafen", (200, 30, 210, 190))]  # fmt: skip
    path = write_lines(tmp_path / "kita.csv", LONG_HEAD, *lines)
    result = checked(path, refs, data_dir)
    assert (result.rows_read, result.rows_staged, result.rows_quarantined) == (2, 1, 1)
    [rule] = rules_of(result, 2)
    assert rule == (
        "Zeile 6: das Merkmal „Kinder unter 3 Jahren“ steht für diesen Schlüssel mehrfach "
        "(Zeilen 2 und 6) – bitte nur einmal liefern"
    )


def test_a_long_file_in_parts_combines_each_area_and_names_areas_far_apart(
    tmp_path, refs, data_dir, monkeypatch
):
    monkeypatch.setattr(delivery, "CHUNK_ROWS", 1)
    write_mapping(data_dir, layout="long", long=LONG, year={"value": 2015})
    lines = [*long_lines("1101", "Altstadt", (300, 40, 310, 250)),
             *long_lines("1102", "Hafen", (200, 30, 210, 190)),
             *long_lines("1101", "Altstadt", (301, 40, 310, 250))]  # fmt: skip
    result = checked(write_lines(tmp_path / "kita.csv", LONG_HEAD, *lines), refs, data_dir)
    assert (result.rows_read, result.rows_staged, result.rows_quarantined) == (3, 1, 2)
    assert result.rows.valid.index.tolist() == [6]
    [rule] = rules_of(result, 10)
    assert rule.startswith("Schlüssel kommt mehrfach vor (im Langformat müssen die Zeilen")


def test_a_long_file_without_its_value_column_is_rejected(tmp_path, refs, data_dir):
    write_mapping(data_dir, layout="long", long=LONG, year={"value": 2015})
    path = write_lines(tmp_path / "kita.csv", "Sozialquartier-Nr.;Merkmal;Wert", "1101;x;1")
    rejection = checked(path, refs, data_dir).rejection
    assert "die Spalte 'Anzahl' (Spaltenzuordnung long: value_column) fehlt" in rejection


# --- sums --------------------------------------------------------------------------------------

PARTS = ["3 bis unter 4 Jahre", "4 bis unter 5 Jahre", "5 bis unter 6 Jahre"]


def sums_mapping(data_dir: Path, **changes: object) -> None:
    columns = {k: list(v) for k, v in load_mapping(KITA).columns.items() if k != "kinder_3_5"}
    write_mapping(data_dir, columns=columns, sums={"kinder_3_5": PARTS}, **changes)


def test_a_field_computed_as_a_sum_of_columns(tmp_path, refs, data_dir):
    sums_mapping(data_dir)
    head = HEAD.replace("Kinder 3 bis unter 6 Jahren;", ";".join(PARTS) + ";")
    path = write_lines(tmp_path / "kita.csv", head, "1101;Altstadt;2015;300;40;100;100;110;250",
                       "1102;Hafen;2015;200;30;70;.;70;100",
                       "1103;Alt;2012;200;30;70;abc;70;100")  # fmt: skip
    result = checked(path, refs, data_dir)
    valid = result.rows.valid
    assert valid.at[2, "kinder_3_5"] == 310
    assert pd.isna(valid.at[3, "kinder_3_5"]) and valid.at[3, "gesperrte_felder"] == "kinder_3_5"
    [finding] = result.findings
    assert (finding.row, finding.column, finding.value) == (4, "kinder_3_5", "abc")
    assert finding.rule == "Teil '4 bis unter 5 Jahre' der Summe: 'abc' ist keine gültige Zahl " \
        "(erwartet z. B. 1.234,5)"  # fmt: skip
    assert "'3 bis unter 4 Jahre + 4 bis unter 5 Jahre + 5 bis unter 6 Jahre'" in report(result)


def test_a_sum_whose_part_is_missing_counts_as_not_delivered(tmp_path, refs, data_dir):
    atlas, field = "sozialstrukturatlas", "sgb2_kinder_u15_ohne_anspruch"
    columns = {k: list(v) for k, v in load_mapping(atlas).columns.items() if k != field}
    write_mapping(data_dir, atlas, columns=columns, sums={field: ["ohne u6", "ohne 6-14"]})
    row = {k: v for k, v in ATLAS.items() if k != field}
    path = write_csv(tmp_path / "atlas.csv", atlas, [{**row, "ohne u6": "5"}])
    result = checked(path, refs, data_dir, atlas)
    assert result.findings == [] and field not in result.table.columns
    assert any(f"'{field}' wird nicht berechnet" in w and "'ohne 6-14' fehlt" in w
               for w in result.warnings)  # fmt: skip


def test_a_sum_of_variables_in_a_long_file(tmp_path, refs, data_dir):
    columns = {k: list(v) for k, v in load_mapping(KITA).columns.items() if k != "kinder_3_5"}
    write_mapping(data_dir, columns=columns, sums={"kinder_3_5": PARTS}, layout="long",
                  long=LONG, year={"value": 2015})  # fmt: skip
    lines = [f"1101;Altstadt;{label};{value}" for label, value in
             [("Kinder unter 3 Jahren", 300), ("Betreute Kinder unter 3 Jahren", 40),
              (PARTS[0], 100), (PARTS[1], 100), (PARTS[2], 110),
              ("Betreute Kinder 3 bis unter 6 Jahren", 250)]]  # fmt: skip
    result = checked(write_lines(tmp_path / "kita.csv", LONG_HEAD, *lines), refs, data_dir)
    assert result.findings == [] and result.rows.valid.at[2, "kinder_3_5"] == 310


# --- rows that are no areas and aggregate rows --------------------------------------------------


def test_rows_dropped_by_rules_and_a_collision_with_a_real_area(tmp_path, refs, data_dir):
    drop = [{"column": "Ebene", "values": ["Land"]},
            {"column": "gebiet_name", "values": ["Bezirk Nord"]},
            {"column": "gebiet_id", "values": ["9999"]},
            {"column": "Fehlt", "values": ["x"]}]  # fmt: skip
    write_mapping(data_dir, rows={"drop": drop})
    path = write_lines(tmp_path / "kita.csv", HEAD + ";Ebene",
                       "1101;Altstadt;2015;300;40;310;250;Quartier",
                       "05;Nordrhein-Westfalen;2015;9;9;9;9;Land",
                       ";Bezirk Nord;2015;9;9;9;9;",
                       "9999;Irgendwo;2015;9;9;9;9;",
                       "1102;Bezirk Nord;2015;200;30;210;190;Quartier",
                       ";Stadt insgesamt;2015;500;70;520;440;")  # fmt: skip
    result = checked(path, refs, data_dir)
    assert result.table.total_rows_dropped == 4  # three rules and the total row
    assert (result.rows_read, result.rows_staged, result.rows_quarantined) == (2, 1, 1)
    [rule] = rules_of(result, 6)
    assert "„Bezirk Nord“ in Spalte 'gebiet_name'" in rule and "Schlüssel 1102" in rule
    assert any("Spalte 'Fehlt'" in w and "nicht angewendet" in w for w in result.warnings)


AGGREGATED = [
    "1101;Altstadt;2015;300;40;310;250",
    "1;Nord;2015;500;70;520;440",
    "1102;Hafen;2015;200;30;210;190",
    "05119000;Stadt insgesamt;2015;500;70;520;440",
]


def test_rows_of_areas_above_the_finest_level_are_aggregates(tmp_path, refs, data_dir):
    path = write_lines(tmp_path / "kita.csv", HEAD, *AGGREGATED)
    areas = refs.areas
    finest = set(areas.loc[areas["ebene"] == "Sozialquartier", "gebiet_id"])
    above = set(areas["gebiet_id"]) - finest
    table = read_delivery(path, load_mapping(KITA), ["gebiet_id"], "gebiet_id", finest, above)
    [chunk] = list(table.chunks)
    assert chunk.frame.index.tolist() == [2, 4]
    assert chunk.aggregates.index.tolist() == [3, 5]  # the total row carries the city's key
    assert chunk.aggregates["kinder_u3"].tolist() == ["500", "500"]
    assert (table.rows_read, table.aggregate_rows, table.total_rows_dropped) == (2, 2, 0)
    result = checked(path, refs, data_dir)
    assert (result.rows_read, result.rows_staged) == (2, 2) and result.findings == []
    assert "Zeilen übergeordneter Gebiete: 2" in report(result)


def test_aggregate_rows_in_a_part_of_their_own(tmp_path, refs, data_dir, monkeypatch):
    monkeypatch.setattr(delivery, "CHUNK_ROWS", 1)
    path = write_lines(tmp_path / "kita.csv", HEAD, *AGGREGATED)
    result = checked(path, refs, data_dir)
    assert (result.rows_read, result.rows_staged, result.rows_quarantined) == (2, 2, 0)
    assert result.table.aggregate_rows == 2


def test_a_file_of_aggregate_rows_only_is_rejected(tmp_path, refs, data_dir):
    path = write_lines(tmp_path / "kita.csv", HEAD, AGGREGATED[1])
    rejection = checked(path, refs, data_dir).rejection
    assert "keine Datenzeilen – nur 1 Zeilen übergeordneter Gebiete" in rejection
