"""The Land report and workbook, written from a synthetic Land warehouse: a section and a
chart per indicator and municipality, the coverage matrix as delivered, German numbers equal
to the marts, nothing loaded from the network, and a workbook sheet per mart."""

from __future__ import annotations

import re
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from land_marts import Indicator, LandFixture, build_land_database

from indicators.land.report import DELIVERED, NOT_DELIVERED, write_land_report
from indicators.land.workbook import header, write_land_workbook

YEARS = list(range(2018, 2024))
FIXTURE = LandFixture(
    municipalities=[
        ("05100000", "Altenbach", "kreisfreie Stadt"),
        ("05300004", "Birkenau", "kreisangehörige Stadt"),
        ("05400", "Kreis Cramm", "Kreis"),
        ("05200000", "Dornstadt", "kreisfreie Stadt"),
        ("05300008", "Eichwalde", "kreisangehörige Stadt"),
    ],
    indicators=[
        Indicator("betreuung_u3", "Betreuungsquote unter 3 Jahren", "kindertagesbetreuung", True),
        Indicator("kinderarmut_sgb2", "Kinderarmut (SGB-II-Quote unter 15 Jahren)",
                  "sozialstrukturatlas", False),
        Indicator("seu_sprache", "Sprachauffälligkeit", "schuleingang", False),
    ],
    years=YEARS,
    suppressed={("05300004", "seu_sprache", 2020), ("05300008", "kinderarmut_sgb2", 2023),
                ("05200000", "betreuung_u3", 2023)},
    empty={("05100000", "seu_sprache", 2021)},
    absent={("05200000", "seu_sprache", 2018), ("05200000", "seu_sprache", 2019)},
    lacking={"05400": {"schuleingang"}},
)  # fmt: skip
CREATED = datetime(2024, 5, 6, 7, 8)


@pytest.fixture(scope="module")
def land(tmp_path_factory) -> tuple[Path, dict[str, pd.DataFrame]]:
    folder = tmp_path_factory.mktemp("land")
    database = folder / "land.duckdb"
    frames = build_land_database(FIXTURE, database)
    database.chmod(0o444)
    return database, frames


@pytest.fixture(scope="module")
def written(land, tmp_path_factory) -> tuple[dict, str]:
    folder = tmp_path_factory.mktemp("berichte")
    summary = write_land_report(land[0], folder, CREATED)
    return summary, (folder / "bericht_land.html").read_text(encoding="utf-8")


class Cells(HTMLParser):
    """Every table cell's text and class, grouped by the id of the section around it and by
    the row's data-ags."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[tuple[str | None, list[tuple[str | None, str]]]] = []
        self.sections: list[str] = []
        self._cell: list[str] | None = None
        self._class: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("section", "h3") and attrs.get("id"):
            self.sections.append(attrs["id"])
        if tag == "tr":
            self.rows.append((attrs.get("data-ags"), []))
        if tag in ("td", "th"):
            self._cell, self._class = [], attrs.get("class")

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1][1].append((self._class, "".join(self._cell)))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def section(html: str, anchor: str) -> str:
    """The HTML from the element with id ``anchor`` to the end of its section."""
    start = html.index(f'id="{anchor}"')
    return html[start : html.index("</section>", start)]


def german(value: float) -> str:
    """One decimal with a decimal comma, computed without the report's formatter."""
    return f"{value:.1f}".replace(".", ",").replace("-", "\u2212")


def test_the_summary_counts_what_the_report_shows(written):
    summary, _ = written
    assert summary["kommunen"] == 5 and summary["indikatoren"] == 3
    assert summary["grafiken"] == 3 + 5 + 2  # the forest plot and event study of one type
    assert summary["pfad"].name == "bericht_land.html"


def test_a_section_with_a_chart_per_indicator_and_per_municipality(written):
    _, html = written
    for indicator in FIXTURE.indicators:
        part = section(html, f"i-{indicator.id}")
        assert indicator.name in part
        assert len(re.findall(r'<img class="grid" src="data:image/png;base64,', part)) == 1
    for ags, name, art in FIXTURE.municipalities:
        part = section(html, f"k-{ags}")
        assert f"{name} ({art}, AGS {ags})" in part
        assert len(re.findall(r'<img class="profil" src="data:image/png;base64,', part)) == 1


def test_the_overview_counts_municipalities_kinds_years_and_packages(written, land):
    _, html = written
    part = section(html, "ueberblick")
    assert "5 Kommunen (1 × Kreis, 2 × kreisangehörige Stadt, 2 × kreisfreie Stadt)" in part
    assert "Berichtsjahre 2018–2023" in part and "3 Indikatoren" in part
    for row in land[1]["mart.kommunen"].itertuples():
        assert row.paket in part and row.erstellt.strftime("%d.%m.%Y") in part
    assert "1 × abgelehnt, 5 × aufgenommen" in part


def test_the_coverage_matrix_marks_exactly_the_delivered_cells(written, land):
    _, html = written
    coverage = land[1]["mart.abdeckung"]
    for source, rows in coverage.groupby("quelle"):
        parser = Cells()
        parser.feed(section(html, "abdeckung").split(f'id="abdeckung-{source}"')[1]
                    .split("</table>")[0])  # fmt: skip
        header = [text for _, text in parser.rows[0][1]][1:]
        assert header == [str(y) for y in YEARS]
        shown = {
            (ags, int(year)): (css, text)
            for ags, cells in parser.rows[1:]
            for year, (css, text) in zip(header, cells[1:], strict=True)
        }
        expected = {(r.ags, r.jahr): r.geliefert for r in rows.itertuples()}
        assert set(shown) == set(expected)
        for key, delivered in expected.items():
            assert shown[key] == (("geliefert", DELIVERED) if delivered
                                  else ("fehlt", NOT_DELIVERED)), key  # fmt: skip
    cramm = coverage[(coverage["ags"] == "05400") & (coverage["quelle"] == "schuleingang")]
    assert not cramm["geliefert"].any()  # the municipality lacking a source
    assert not coverage.set_index(["ags", "quelle", "jahr"]).loc[
        ("05200000", "schuleingang", 2018), "geliefert"]  # fmt: skip


def test_the_profiles_show_the_latest_values_in_german_notation(written, land):
    _, html = written
    values = land[1]["mart.indikatoren_kommunen"]
    land_values = land[1]["mart.indikatoren_land"].set_index(["indikator_id", "jahr"])["wert"]
    names = {i.name: i.id for i in FIXTURE.indicators}
    for ags, _, _ in FIXTURE.municipalities:
        parser = Cells()
        parser.feed(section(html, f"k-{ags}"))
        table = {cells[0][1]: [text for _, text in cells] for _, cells in parser.rows[1:]}
        assert set(table) == set(names)
        for name, cells in table.items():
            rows = values[(values["ags"] == ags) & (values["indikator_id"] == names[name])]
            rows = rows[rows["wert"].notna()].sort_values("jahr")
            if rows.empty:
                assert cells[1:3] == ["–", "–"] and cells[-1] == "nicht geliefert"
                continue
            row = rows.iloc[-1]
            assert cells[1] == str(row["jahr"])
            assert cells[2:5] == [german(row["wert"]), german(row["ki_unten"]),
                                  german(row["ki_oben"])]  # fmt: skip
            assert cells[5] == german(land_values[names[name], row["jahr"]])
            assert cells[6] == f"{int(row['rang'])} von {int(row['kommunen_mit_wert'])}"
            assert cells[7] == german(row["median_art"])


def test_a_suppressed_latest_year_shows_the_year_before_and_names_the_gap(written):
    _, html = written
    parser = Cells()
    parser.feed(section(html, "k-05300008"))
    row = next(cells for _, cells in parser.rows if cells[0][1].startswith("Kinderarmut"))
    assert row[1][1] == "2022" and row[-1][1] == "gesperrt: 2023"


def test_the_notes_name_the_municipalities_missing_in_the_land_value(written):
    _, html = written
    part = section(html, "methode")
    parser = Cells()
    parser.feed(part)
    gaps = {(cells[0][1], cells[1][1]): cells[3][1] for _, cells in parser.rows[1:]}
    assert gaps[("Kinderarmut (SGB-II-Quote unter 15 Jahren)", "2023")] == "Eichwalde"
    assert gaps[("Sprachauffälligkeit", "2018")] == "Dornstadt, Kreis Cramm"
    assert ("Kinderarmut (SGB-II-Quote unter 15 Jahren)", "2022") not in gaps


def test_the_effects_across_municipalities_show_both_estimates_and_their_charts(written, land):
    _, html = written
    pooled = land[1]["mart.wirkung_gepoolt"]
    first = pooled.iloc[0]
    part = section(html, f"w-{first.massnahmentyp}-{first.indikator_id}")
    assert f"{first.massnahmentyp_name}: {first.indikator_name}" in part
    assert f"Bewertung: {first.bewertung}" in part
    assert first.kommunen_ohne_statistik in part
    cells = Cells()
    cells.feed(part)
    shown = {row[0][1]: [text for _, text in row] for _, row in cells.rows if row}
    for row in pooled.itertuples():
        line = shown[row.verfahren]
        assert line[1] == f"{row.effekt_pp:.2f}".replace(".", ",")
        low, high = (f"{v:.2f}".replace(".", ",") for v in (row.ki_unten, row.ki_oben))
        assert line[2] == f"{low} bis {high}"
        assert line[4] == str(row.n_kommunen)
    assert shown[pooled.iloc[1].verfahren][7] == "−0,50 bis 4,70"
    assert len(re.findall(r'<img class="profil" src="data:image/png;base64,', part)) == 2
    assert "Wirkung über Kommunen hinweg" in section(html, "wirkung")


def test_the_report_loads_nothing_from_the_network(written):
    _, html = written
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html)
    assert "http://" not in html and "https://" not in html
    assert "@media print" in html and "<style>" in html


@pytest.fixture(scope="module")
def workbook(land, tmp_path_factory) -> openpyxl.Workbook:
    path = tmp_path_factory.mktemp("berichte") / "landesauswertung.xlsx"
    write_land_workbook(land[0], path)
    return openpyxl.load_workbook(path)


SHEETS = {
    "Kommunen": "mart.kommunen",
    "Indikatoren der Kommunen": "mart.indikatoren_kommunen",
    "Landeswerte": "mart.indikatoren_land",
    "Datenqualität": "mart.datenqualitaet",
    "Abdeckung": "mart.abdeckung",
    "Maßnahmen": "mart.massnahmen",
    "Wirkung über Kommunen": "mart.wirkung_gepoolt",
    "Wirkungsverlauf über Kommunen": "mart.wirkung_gepoolt_verlauf",
    "Wirkung je Kommune": "mart.wirkung_kommunen",
    "Eingänge": "meta.eingaenge",
}


def test_the_workbook_has_notes_and_a_sheet_per_mart(workbook):
    assert workbook.sheetnames == ["Hinweise", *SHEETS]
    notes = [[c.value for c in row] for row in workbook["Hinweise"].iter_rows(min_row=2)]
    assert ["Kommunen", None, "Die Kommunen mit aktuellem Paket."] in notes
    assert [
        "Abdeckung",
        "Geliefert",
        "Spalte geliefert. Wahr, wenn ein Indikator der Quelle einen Wert hat.",
    ] in notes


def test_headers_are_the_declared_titles(workbook):
    [head] = workbook["Kommunen"].iter_rows(max_row=1, values_only=True)
    assert head[:3] == ("AGS", "Kommune", "Art der Kommune")
    [head] = workbook["Landeswerte"].iter_rows(max_row=1, values_only=True)
    assert head[6:9] == (
        "Landeswert", "95-%-Intervall untere Grenze", "95-%-Intervall obere Grenze"
    )  # fmt: skip
    for title in SHEETS:
        [head] = workbook[title].iter_rows(max_row=1, values_only=True)
        assert all(" " in h or h[0].isupper() for h in head), (title, head)  # no raw names


def test_a_column_without_title_is_headed_by_its_comment_or_its_name():
    assert header("Zähler der Kommune insgesamt; leer, wenn gesperrt.", "z") == (
        "Zähler der Kommune insgesamt"
    )
    assert header("AGS bzw. Kreisschlüssel der Kommune.", "ags") == (
        "AGS bzw. Kreisschlüssel der Kommune"
    )  # an abbreviation's point ends no phrase
    assert header("Ein sehr langer Kommentar ohne Satzzeichen " * 3, "spalte") == "spalte"
    assert header(None, "spalte") == "spalte"
    assert header("Kommentar", "spalte", "Titel") == "Titel"


def test_every_sheet_holds_the_rows_of_its_mart_with_numbers_as_numbers(workbook, land):
    for title, relation in SHEETS.items():
        sheet = workbook[title]
        assert sheet.freeze_panes == "A2"
        expected = land[1][relation]
        rows = list(sheet.iter_rows(min_row=2, values_only=True))
        assert (
            sheet.auto_filter.ref == f"A1:{sheet.cell(1, expected.shape[1]).column_letter}"
            f"{len(rows) + 1}"
        )
        assert len(rows) == len(expected)
        assert all(sheet.column_dimensions[c.column_letter].width >= len(str(c.value))
                   for c in sheet[1])  # fmt: skip
    values = land[1]["mart.indikatoren_kommunen"]
    sheet = workbook["Indikatoren der Kommunen"]
    shown = {(r[0], r[4], r[3]): r for r in sheet.iter_rows(min_row=2, values_only=True)}
    for row in values.itertuples():
        cells = shown[row.ags, row.indikator_id, row.jahr]
        if pd.isna(row.wert):
            assert cells[8:13] == (None,) * 5
        else:
            assert cells[8:10] == (row.zaehler, row.nenner)
            assert isinstance(cells[8], int) and cells[10] == pytest.approx(row.wert)
    kommunen = list(workbook["Kommunen"].iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in kommunen] == sorted(a for a, _, _ in FIXTURE.municipalities)
    assert kommunen[0][12] == datetime(2024, 3, 1, 10, 15)


# --- maps ------------------------------------------------------------------------------------


def write_outlines(path: Path, outlines: dict[str, object], crs: str) -> None:
    """An outline file as an office would write it: features with the property ags."""
    import numpy as np
    import pyogrio
    import shapely

    pyogrio.raw.write(
        path,
        np.array(shapely.to_wkb(list(outlines.values())), dtype=object),
        [np.array(list(outlines), dtype=object)],
        fields=["ags"],
        crs=crs,
        driver="GeoJSON",
        geometry_type="Polygon",
    )


@pytest.fixture(scope="module")
def with_maps(land, tmp_path_factory) -> tuple[dict, str]:
    """The report with outlines (lon/lat squares) for every municipality but Eichwalde."""
    from shapely.geometry import box

    folder = tmp_path_factory.mktemp("karten")
    outlines = {
        ags: box(6.5 + 0.2 * i, 51.0, 6.7 + 0.2 * i, 51.15)
        for i, (ags, _, _) in enumerate(FIXTURE.municipalities)
        if ags != "05300008"
    }
    write_outlines(folder / "umrisse.geojson", outlines, "EPSG:4326")
    summary = write_land_report(land[0], folder / "berichte", CREATED, folder / "umrisse.geojson")
    return summary, (folder / "berichte" / "bericht_land.html").read_text(encoding="utf-8")


def test_without_outlines_the_report_says_why_there_is_no_map(written):
    _, html = written
    part = html[html.index('id="karten"') : html.index('id="kommunen"')]
    assert "Keine Karten: im Landesordner liegt keine Datei umrisse.geojson" in part
    assert "<img" not in part


def test_with_outlines_a_map_per_map_indicator(with_maps):
    summary, html = with_maps
    part = html[html.index('<h2 id="karten"') : html.index('<h2 id="kommunen"')]
    maps = re.findall(r'<img class="karte" src="data:image/png;base64,[^"]+" alt="([^"]+)"', part)
    # the fixture's three indicators are map indicators of the catalogue, in its order; 2023
    # is the latest year with a Land value
    assert maps == [
        "Kinderarmut (SGB-II-Quote unter 15 Jahren) 2023: Kommunen",
        "Sprachauffälligkeit 2023: Kommunen",
        "Betreuungsquote unter 3 Jahren 2023: Kommunen",
    ]
    assert "Ohne Umriss in umrisse.geojson, daher nicht auf den Karten: Eichwalde." in part
    assert summary["grafiken"] == 3 + 5 + 2 + 3


def test_outlines_in_any_crs_are_read_in_metres(tmp_path):
    from pyproj import Transformer
    from shapely.geometry import box

    from indicators.land.outlines import read_outlines

    square = box(6.5, 51.0, 6.7, 51.15)
    write_outlines(tmp_path / "umrisse.geojson", {"05100000": square}, "EPSG:4326")
    [row] = read_outlines(tmp_path / "umrisse.geojson").itertuples()
    to_utm = Transformer.from_crs("EPSG:4326", "EPSG:25832", always_xy=True)
    corner = to_utm.transform(6.5, 51.0)
    assert row.ags == "05100000"
    assert min(abs(x - corner[0]) + abs(y - corner[1])
               for x, y in row.geometry.exterior.coords) < 0.01  # fmt: skip
    # about 14 km × 16.7 km at 51° north
    assert 200e6 < row.geometry.area < 260e6


def test_outline_keys_stored_as_numbers_get_their_leading_zero_back(tmp_path):
    """A GIS that saves the key as a number drops the '0' of '05…': such a municipality
    would be 'ohne Umriss' although the file has it."""
    import json

    from indicators.land.outlines import read_outlines

    ring = [[6.5, 51.0], [6.7, 51.0], [6.7, 51.1], [6.5, 51.1], [6.5, 51.0]]
    features = [{"type": "Feature", "properties": {"ags": key},
                 "geometry": {"type": "Polygon", "coordinates": [ring]}}
                for key in (5119000, 5181.0, "05162004")]  # fmt: skip
    path = tmp_path / "umrisse.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    assert list(read_outlines(path)["ags"]) == ["05119000", "05181", "05162004"]
