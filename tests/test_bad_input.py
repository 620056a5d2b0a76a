"""Every kind of bad delivery gets a clear German finding and nothing is silently dropped."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd

from conftest import ATLAS, titles, write_csv
from indicators.ingest.delivery import STATUS_REJECTED, check_delivery
from indicators.ingest.mapping import load_mapping

SOURCE = "sozialstrukturatlas"


def atlas(**changes: str) -> dict[str, str]:
    return {**ATLAS, **changes}


def check(path: Path, refs, source: str = SOURCE, mapping=None):
    result = check_delivery(path, source, refs, mapping)
    if result.rejection is None:
        # nothing is silently dropped: every data row is either staged or quarantined
        assert result.rows_read == result.rows_staged + result.rows_quarantined
    return result


def rules_for(result, row: int) -> list[str]:
    return [f.rule for f in result.findings if f.row == row]


def test_valid_file_with_decimal_comma_thousands_and_total_row(tmp_path, refs):
    rows = [atlas(), atlas(gebiet_id="1102", gebiet_name="Hafen")]
    path = write_csv(tmp_path / "a.csv", SOURCE, rows, encoding="cp1252", total=True)
    result = check(path, refs)
    assert result.rejection is None and result.findings == []
    assert result.table.encoding == "cp1252" and result.table.total_rows_dropped == 1
    valid = result.rows.valid
    assert valid["einwohner"].tolist() == [7000, 7000]
    assert valid["flaeche_km2"].iloc[0] == 2.75
    assert valid["jahr"].tolist() == [2015, 2015]


def test_suppressed_cells_become_null_with_flag_not_zero(tmp_path, refs):
    path = write_csv(tmp_path / "a.csv", SOURCE, [atlas(arbeitslose_u25=".", einwohner_0_2=".")])
    result = check(path, refs)
    assert result.findings == []
    row = result.rows.valid.iloc[0]
    assert pd.isna(row["arbeitslose_u25"]) and pd.isna(row["einwohner_0_2"])
    assert set(row["gesperrte_felder"].split(",")) == {"arbeitslose_u25", "einwohner_0_2"}


def test_dash_means_exactly_zero(tmp_path, refs):
    path = write_csv(tmp_path / "a.csv", SOURCE, [atlas(haushalte_3_kinder="-")])
    assert check(path, refs).rows.valid["haushalte_3_kinder"].iloc[0] == 0


def test_wrong_encoding_is_rejected_with_the_line(tmp_path, refs):
    path = write_csv(tmp_path / "a.csv", SOURCE, [atlas(gebiet_name="Süd")], encoding="cp1252")
    mapping = load_mapping(SOURCE)
    utf8_only = type(mapping)(**{**mapping.__dict__, "encoding": "utf-8"})
    result = check(path, refs, mapping=utf8_only)
    assert result.status == STATUS_REJECTED
    assert "a.csv" in result.rejection and "Zeichenkodierung" in result.rejection
    # the first non-UTF-8 byte is the ä of "Fläche in km²" in the header line
    assert "Zeile 1" in result.rejection and "0xE4" in result.rejection


def test_utf16_is_rejected(tmp_path, refs):
    path = write_csv(tmp_path / "a.csv", SOURCE, [atlas()], encoding="utf-16")
    assert "nicht lesbar" in check(path, refs).rejection


def test_missing_key_column_names_the_column(tmp_path, refs):
    columns = [c for c in ATLAS if c != "jahr"]
    path = write_csv(tmp_path / "a.csv", SOURCE, [atlas()], columns=columns)
    result = check(path, refs)
    assert result.status == STATUS_REJECTED
    assert "'Stichtag'" in result.rejection and "Pflichtspalte" in result.rejection


def test_a_missing_count_column_is_loaded_as_not_delivered(tmp_path, refs):
    columns = [c for c in ATLAS if c not in ("arbeitslose", "arbeitslose_u25")]
    path = write_csv(tmp_path / "a.csv", SOURCE, [atlas()], columns=columns)
    result = check(path, refs)
    assert result.rejection is None and result.rows_staged == 1 and result.findings == []
    assert "arbeitslose" not in result.rows.valid  # staged as NULL, see the loading tests
    [warning] = [w for w in result.warnings if w.startswith("Nicht geliefert")]
    assert "'Arbeitslose'" in warning and "'Arbeitslose unter 25 Jahren'" in warning


def test_unknown_extra_column_is_reported_and_ignored(tmp_path, refs):
    row = atlas(bemerkung="x")
    path = write_csv(tmp_path / "a.csv", SOURCE, [row])
    result = check(path, refs)
    assert result.findings == [] and result.rows_staged == 1
    assert any("'bemerkung'" in w for w in result.warnings)


def test_duplicate_key_quarantines_both_rows(tmp_path, refs):
    path = write_csv(tmp_path / "a.csv", SOURCE, [atlas(), atlas(), atlas(gebiet_id="1102")])
    result = check(path, refs)
    assert result.rows.failing_rows() == [2, 3]
    assert rules_for(result, 2) == ["Schlüssel kommt mehrfach vor"]
    assert result.rows_staged == 1


def test_unknown_and_expired_areas(tmp_path, refs):
    rows = [atlas(gebiet_id="9999"), atlas(gebiet_id="1103"), atlas(gebiet_id="1103", jahr="2012")]
    result = check(write_csv(tmp_path / "a.csv", SOURCE, rows), refs)
    assert rules_for(result, 2) == ["Gebiet ist in der Gebietsreferenz unbekannt"]
    assert rules_for(result, 3) == ["Gebiet war im Jahr 2015 nicht gültig (siehe Gebietsreferenz)"]
    assert rules_for(result, 4) == []  # 1103 was still valid on 31.12.2012


def test_negative_count(tmp_path, refs):
    rows = [atlas(geburten="-4")]
    result = check(write_csv(tmp_path / "a.csv", SOURCE, rows), refs)
    [finding] = result.findings
    assert (finding.row, finding.column, finding.value) == (2, "geburten", "-4")
    assert finding.rule == "darf nicht negativ sein"


def test_age_bands_must_add_up(tmp_path, refs):
    result = check(write_csv(tmp_path / "a.csv", SOURCE, [atlas(einwohner="7.001")]), refs)
    [finding] = result.findings
    assert "Altersgruppen" in finding.rule and "Einwohner insgesamt = 7001" in finding.value


def test_numerator_above_denominator(tmp_path, refs):
    rows = [atlas(arbeitslose_u25="401")]
    [finding] = check(write_csv(tmp_path / "a.csv", SOURCE, rows), refs).findings
    assert finding.column == "arbeitslose" and "Teilmenge" in finding.rule


def test_implausible_year_and_unreadable_number(tmp_path, refs):
    rows = [atlas(jahr="31.12.1985"), atlas(gebiet_id="1102", zuzuege="12a")]
    result = check(write_csv(tmp_path / "a.csv", SOURCE, rows), refs)
    assert "muss mindestens 2000 sein" in rules_for(result, 2)
    assert rules_for(result, 3) == ["'12a' ist keine gültige Zahl (erwartet z. B. 1.234,5)"]


def test_empty_file(tmp_path, refs):
    path = tmp_path / "leer.csv"
    path.write_bytes(b"")
    result = check(path, refs)
    assert result.status == STATUS_REJECTED and "leer.csv" in result.rejection
    assert "leer" in result.rejection


def test_header_only_file(tmp_path, refs):
    path = tmp_path / "kopf.csv"
    path.write_text(";".join(titles(SOURCE).values()) + "\r\n", encoding="utf-8")
    result = check(path, refs)
    assert "nur die Kopfzeile" in result.rejection


def test_file_without_known_header(tmp_path, refs):
    path = tmp_path / "fremd.csv"
    path.write_text("a;b;c\r\n1;2;3\r\n", encoding="utf-8")
    assert "keine Kopfzeile gefunden" in check(path, refs).rejection


def test_truncated_file_quarantines_the_cut_row(tmp_path, refs):
    path = write_csv(tmp_path / "a.csv", SOURCE, [atlas(), atlas(gebiet_id="1102")])
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 60])  # cut inside the last row
    result = check(path, refs)
    assert result.rows_staged == 1 and result.rows.failing_rows() == [3]
    assert any("Zeile unvollständig" in r for r in rules_for(result, 3))
    assert any("abgeschnitten" in w for w in result.warnings)


def test_xlsx_with_title_row_above_header(tmp_path, refs):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Sozialstrukturatlas 2015 – Statistikstelle"])
    sheet.append([])
    head = titles(SOURCE)
    sheet.append([head[c] for c in ATLAS])
    cells = {k: int(v.replace(".", "")) for k, v in ATLAS.items() if v.replace(".", "").isdigit()}
    cells["jahr"] = dt.datetime(2015, 12, 31)  # a real Excel date cell
    sheet.append([cells.get(c, ATLAS[c]) for c in ATLAS])
    sheet.append(["1102", "Hafen", "31.12.2015", 1.5] + [None] * (len(ATLAS) - 4))
    path = tmp_path / "atlas.xlsx"
    workbook.save(path)
    result = check(path, refs)
    assert result.table.header_row == 3
    assert result.rows.valid["einwohner"].tolist() == [7000]
    assert result.rows.valid["gebiet_id"].tolist() == ["1101"]
    assert result.rows.failing_rows() == [5]  # the row with empty required counts
    assert all(r.startswith("Pflichtfeld ist leer") for r in rules_for(result, 5))
    # every empty required count; the optional column without own entitlement may be empty
    assert len(rules_for(result, 5)) == len(ATLAS) - 4 - 1


def test_unsupported_file_type(tmp_path, refs):
    path = tmp_path / "atlas.pdf"
    path.write_bytes(b"%PDF")
    assert "nicht unterstützt" in check(path, refs).rejection


def test_corrupt_xlsx_is_rejected(tmp_path, refs):
    path = tmp_path / "seu.xlsx"
    path.write_bytes(b"PK\x03\x04 kaputt")
    result = check(path, refs, source="schuleingang")
    assert result.status == STATUS_REJECTED
    assert "seu.xlsx" in result.rejection and "kann nicht geöffnet werden" in result.rejection


def test_separator_is_detected(tmp_path, refs):
    path = write_csv(tmp_path / "a.csv", SOURCE, [atlas()], sep="\t")
    result = check(path, refs)
    assert result.table.separator == "\t" and result.rows_staged == 1 and result.findings == []


def test_measure_linked_to_an_indicator_outside_the_catalogue_is_quarantined(tmp_path, refs):
    link = {"massnahme_id": "M01", "richtung": "sinkt", "verzoegerung_jahre": "1"}
    path = write_csv(
        tmp_path / "wirk.csv",
        "massnahmen_wirkindikatoren",
        [{**link, "indikator_id": "seu_sprache"}, {**link, "indikator_id": "seu_glueck"}],
    )
    result = check(path, refs, source="massnahmen_wirkindikatoren")
    assert (result.rows_staged, result.rows_quarantined) == (1, 1)
    [finding] = result.findings
    assert finding.row == 3 and "Indikatorenkatalog" in finding.rule


# --- every line accounted for, no traceback for any cell --------------------------------------


def test_unclosed_quote_rejects_the_file_naming_the_line_and_the_lost_lines(tmp_path, refs):
    rows = [atlas(gebiet_id=f"11{i:02d}") for i in range(1, 6)]
    rows[1] = atlas(gebiet_id="1102", gebiet_name='"Hafen')  # the quote is never closed
    path = write_csv(tmp_path / "a.csv", SOURCE, rows)
    result = check(path, refs)
    assert result.status == STATUS_REJECTED
    assert "Zeile 3: nicht geschlossenes Anführungszeichen" in result.rejection
    assert (
        "die Zeilen 3 bis 6" in result.rejection and "3 Zeilen gingen verloren" in result.rejection
    )


def test_a_very_long_cell_quarantines_its_row_and_keeps_every_other_row(tmp_path, refs):
    rows = [atlas(gebiet_id="1102", gebiet_name="x" * 200_000), atlas()]
    path = write_csv(tmp_path / "a.csv", SOURCE, rows)
    result = check(path, refs)
    assert result.rows_read == 2 and result.rows.failing_rows() == [2]
    assert any("200.000 Zeichen" in rule for rule in rules_for(result, 2))


def test_a_real_area_named_like_the_total_row_is_a_finding_not_dropped(tmp_path, refs):
    rows = [atlas(), atlas(gebiet_id="1102", gebiet_name="Stadt insgesamt")]
    path = write_csv(tmp_path / "a.csv", SOURCE, rows, total=True)
    result = check(path, refs)
    assert result.table.total_rows_dropped == 1  # the real total row without a key
    assert result.rows_read == 2 and result.rows.failing_rows() == [3]
    [rule] = rules_for(result, 3)
    assert "wie eine Summenzeile" in rule and "1102" in rule


def test_counts_too_large_for_a_count_are_findings(tmp_path, refs):
    path = write_csv(tmp_path / "a.csv", SOURCE, [atlas(einwohner="100000000000000000000")])
    result = check(path, refs)
    assert any("als Anzahl zu groß" in rule for rule in rules_for(result, 2))
    workbook = openpyxl.Workbook()
    head = titles(SOURCE)
    workbook.active.append([head[c] for c in ATLAS])
    workbook.active.append([{"einwohner": 1e19, "geburten": 1e300}.get(c, v) for c, v in
                            ATLAS.items()])  # fmt: skip
    workbook.save(tmp_path / "a.xlsx")
    result = check(tmp_path / "a.xlsx", refs)
    assert [f.column for f in result.findings if "zu groß" in f.rule] == ["einwohner", "geburten"]


def test_impossible_date_in_the_areas_is_a_finding(tmp_path, refs, data_dir):
    areas = data_dir / "gebiete" / "gebiete.csv"
    text = areas.read_text(encoding="utf-8").replace("01.01.2000", "31.02.2020", 2)
    areas.write_text(text, encoding="utf-8")
    result = check_delivery(areas, "gebiete", refs)
    assert result.rejection is None
    assert any("kein gültiges Datum" in f.rule and f.value == "31.02.2020" for f in result.findings)


def test_a_formula_without_saved_value_is_named_as_such(tmp_path, refs):
    workbook = openpyxl.Workbook()
    head = titles(SOURCE)
    workbook.active.append([head[c] for c in ATLAS])
    workbook.active.append([{"geburten": "=SUM(1,2)"}.get(c, v) for c, v in ATLAS.items()])
    workbook.save(tmp_path / "a.xlsx")  # openpyxl saves formulas without a computed value
    [finding] = check(tmp_path / "a.xlsx", refs).findings
    assert finding.column == "geburten" and "Formel ohne gespeicherten Wert" in finding.rule


def test_an_unforeseen_error_rejects_the_file_with_its_name(tmp_path, refs, monkeypatch):
    import indicators.ingest.delivery as delivery

    def broken(*args, **kwargs):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(delivery, "validate_rows", broken)
    result = check(write_csv(tmp_path / "a.csv", SOURCE, [atlas()]), refs)
    assert result.status == STATUS_REJECTED
    assert result.rejection.startswith("Datei a.csv: die Datei konnte nicht geprüft werden")
    assert "ZeroDivisionError" in result.rejection and result.rows_read == 0


# --- files read in parts ---------------------------------------------------------------------


def test_a_key_in_two_parts_of_a_file_quarantines_both_rows(tmp_path, refs, monkeypatch):
    import indicators.ingest.delivery as delivery

    monkeypatch.setattr(delivery, "CHUNK_ROWS", 2)
    years = ["31.12.2015", "31.12.2016", "31.12.2017", "31.12.2015", "31.12.2018"]
    path = write_csv(tmp_path / "a.csv", SOURCE, [atlas(jahr=year) for year in years])
    result = check(path, refs)
    assert (result.rows_read, result.rows_staged, result.rows_quarantined) == (5, 3, 2)
    assert rules_for(result, 2) == rules_for(result, 5) == ["Schlüssel kommt mehrfach vor"]
    assert sorted(result.rows.valid["jahr"]) == [2016, 2017, 2018]


def test_a_problem_late_in_a_file_loads_nothing_of_it(tmp_path, refs, monkeypatch):
    import duckdb

    import indicators.ingest.delivery as delivery
    from conftest import CATALOGUE
    from indicators.store.loading import stage_deliveries
    from indicators.store.schema import ensure_schema

    monkeypatch.setattr(delivery, "CHUNK_ROWS", 2)
    rows = [atlas(jahr=f"31.12.{year}") for year in range(2010, 2016)]
    rows[-2] = atlas(jahr="31.12.2014", gebiet_name='"kaputt')  # the quote is never closed
    path = write_csv(tmp_path / "a.csv", SOURCE, rows)
    with duckdb.connect() as con:
        ensure_schema(con, CATALOGUE)
        con.register("areas", refs.areas)
        con.execute("INSERT INTO staging.gebiete BY NAME SELECT *, 'x' AS delivery_sha256, "
                    "1 AS source_row FROM areas")  # fmt: skip
        [loaded] = stage_deliveries(con, SOURCE, [path], tmp_path / "archiv", CATALOGUE.by_id())
        assert loaded.check.status == STATUS_REJECTED
        assert "Zeile 6: nicht geschlossenes Anführungszeichen" in loaded.check.rejection
        assert con.sql(f"SELECT count(*) FROM staging.{SOURCE}").fetchall() == [(0,)]
        assert con.sql(f"SELECT count(*) FROM quarantine.{SOURCE}").fetchall() == [(0,)]
        assert con.sql("SELECT status, rows_read FROM raw.deliveries").fetchall() == [
            ("abgelehnt", 0)
        ]


def test_the_key_tracker_finds_every_key_standing_in_two_parts():
    from indicators.ingest.validation import KeyTracker

    def part(rows: dict[int, tuple[str, int]]) -> pd.DataFrame:
        ids, years = zip(*rows.values(), strict=True)
        frame = pd.DataFrame({"gebiet_id": list(ids), "jahr": pd.array(years, dtype="Int64")})
        return frame.set_axis(list(rows))

    tracker = KeyTracker(("gebiet_id", "jahr"))
    tracker.add(part({2: ("a", 1), 3: ("b", 1), 4: ("c", 1)}))
    tracker.add(part({5: ("a", 1), 6: ("d", 1), 7: ("b", 2)}))
    tracker.add(part({8: ("d", 1), 9: ("e", 1)}))
    assert tracker.duplicates() == [2, 5, 6, 8]


def test_a_measure_id_with_markup_is_quarantined_naming_the_allowed_characters(tmp_path, refs):
    register = {"titel": "Elterncafé", "traeger": "Stadt", "lebensphase": "Kita (3–6)",
                "zielgruppe_alter": "3-5"}  # fmt: skip
    rows = [{**register, "massnahme_id": "M01"},
            {**register, "massnahme_id": "M05<script>alert(2)</script>"}]  # fmt: skip
    path = write_csv(tmp_path / "register.csv", "massnahmen", rows)
    result = check(path, refs, source="massnahmen")
    assert result.rows.valid["massnahme_id"].tolist() == ["M01"]
    [finding] = result.findings
    assert finding.column == "massnahme_id" and "Buchstaben, Ziffern" in finding.rule
