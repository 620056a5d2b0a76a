"""The municipality profile: what an office may write in kommune.yaml, and what it gets back."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from indicators.ingest.delivery import check_delivery
from pipelines.cli import main
from pipelines.settings import PROJECT_ROOT
from schemas.profile import DEFAULT_PROFILE, ProfileError, load_profile, parse_profile
from schemas.registry import SOURCES
from schemas.source import References


def test_a_full_profile_is_read(tmp_path):
    (tmp_path / "kommune.yaml").write_text(
        'ags: "09990000"\nname: Beispielstadt\nart: kreisfreie Stadt\n'
        "ebenen: [Stadt, Bezirk, Prognoseraum, Bezirksregion, Planungsraum]\n"
        'quellen:\n  gebiete: {}\n  sozialstrukturatlas: {stichtag: "30.06."}\n',
        encoding="utf-8",
    )
    profile = load_profile(tmp_path, SOURCES)
    assert profile.levels == ("Stadt", "Bezirk", "Prognoseraum", "Bezirksregion", "Planungsraum")
    assert profile.finest == "Planungsraum" and profile.ags == "09990000"
    assert profile.reference_day("sozialstrukturatlas", (12, 31)) == (6, 30)
    assert profile.reference_day("schuleingang", (8, 1)) == (8, 1)
    assert profile.delivers("gebiete") and not profile.delivers("massnahmen")


def test_without_a_profile_the_sample_levels_apply(tmp_path):
    assert load_profile(tmp_path) == DEFAULT_PROFILE
    assert DEFAULT_PROFILE.levels == ("Stadt", "Stadtbezirk", "Sozialraum", "Sozialquartier")
    assert DEFAULT_PROFILE.delivers("massnahmen")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"ebenen": ["Stadt"]}, "nennt 1 Ebene(n); erlaubt sind 2 bis 6"),
        ({"ebenen": ["A", "B", "C", "D", "E", "F", "G"]}, "nennt 7 Ebene(n)"),
        ({"ebenen": ["Stadt", "Stadt"]}, "nur einmal"),
        ({"ebenen": "Stadt, Bezirk"}, "muss eine Liste"),
        ({"ags": 5119000}, "8 Ziffern"),
        ({"art": "Großstadt"}, "'art' muss eine von"),
        ({"stadt": "x"}, "unbekannte Angabe(n) stadt"),
        ({"quellen": {"atlas": {}}}, "unbekannte Quelle(n) unter 'quellen': atlas"),
        ({"quellen": {"sozialstrukturatlas": {"stichtag": "31.06."}}}, "kein Tag im Jahr"),
        ("nur Text", "erwartet Angaben"),
    ],
)
def test_a_wrong_profile_gets_a_german_message(raw, message):
    with pytest.raises(ProfileError) as caught:
        parse_profile(raw, known_sources=SOURCES)
    assert message in str(caught.value)
    assert str(caught.value).startswith("kommune.yaml: ")


def test_validate_reports_a_broken_profile_without_a_traceback(tmp_path):
    (tmp_path / "kommune.yaml").write_text("ebenen: [Stadt]\n", encoding="utf-8")
    delivery = PROJECT_ROOT / "raw_data" / "sample" / "gebiete" / "gebiete.csv"
    result = CliRunner().invoke(
        main, ["validate", "--source", "gebiete", "--data-dir", str(tmp_path), str(delivery)]
    )
    assert result.exit_code == 2
    assert "kommune.yaml: 'ebenen' nennt 1 Ebene(n)" in result.output
    assert "Traceback" not in result.output


def test_the_field_page_is_up_to_date():
    result = CliRunner().invoke(main, ["fields", "--markdown"])
    assert result.exit_code == 0
    page = (PROJECT_ROOT / "raw_data" / "FELDER.md").read_text(encoding="utf-8")
    assert result.output == page, "regenerate with: uv run kekiz fields --markdown"


def test_areas_are_checked_against_the_levels_of_the_profile(tmp_path):
    path = tmp_path / "gebiete.csv"
    path.write_text(
        "Gebietsschlüssel;Gebietsname;Ebene;Übergeordnetes Gebiet;Gültig ab;Gültig bis\n"
        "09990000;Beispielstadt;Stadt;;01.01.2000;\n"
        "01;Mitte;Bezirk;09990000;01.01.2000;\n"
        "0101;Altstadt;Stadtteil;01;01.01.2000;\n"
        "0102;Hafen;Stadtteil;09990000;01.01.2000;\n"  # parent two levels up
        "0103;Werft;Sozialquartier;01;01.01.2000;\n",  # not a level of this city
        encoding="utf-8",
    )
    profile = parse_profile({"ags": "09990000", "ebenen": ["Stadt", "Bezirk", "Stadtteil"]})
    check = check_delivery(path, "gebiete", References(profile=profile))
    assert check.rejection is None
    assert sorted(check.rows.valid["gebiet_id"]) == ["01", "0101", "09990000"]
    by_row = {f.row: f.rule for f in check.findings}
    assert "genau eine Ebene höher" in by_row[5]
    assert "eine der Ebenen der Kommune" in by_row[6]
    other = parse_profile({"ags": "09990001", "ebenen": ["Stadt", "Bezirk", "Stadtteil"]})
    check = check_delivery(path, "gebiete", References(profile=other))
    assert "wie in kommune.yaml unter 'ags'" in {f.row: f.rule for f in check.findings}[2]
