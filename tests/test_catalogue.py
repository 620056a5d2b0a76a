"""The indicator catalogue: complete, and rejected with a clear message when inconsistent."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from indicators.compute.catalogue import CATALOGUE_PATH, CatalogueError, load_catalogue

REQUIRED = {
    "kinderarmut_sgb2",
    "kinderarmut_sgb2_erweitert",
    "sgb2_quote",
    "arbeitslosenanteil",
    "jugendarbeitslosigkeit",
    "alleinerziehende",
    "kinderreiche_familien",
    "migrationshintergrund",
    "seu_visuomotorik",
    "seu_aufmerksamkeit",
    "seu_zahlen",
    "seu_wahrnehmen",
    "seu_sprache",
    "seu_koordination",
    "seu_deutsch_unzureichend",
    "seu_uebergewicht",
    "seu_adipositas",
    "seu_u8",
    "seu_u9",
    "seu_masern",
    "seu_kita_2jahre",
    "betreuung_u3",
    "betreuung_3_6",
    "uebergang_gymnasium",
}


def test_catalogue_covers_the_required_indicators():
    catalogue = load_catalogue()
    ids = [ind.id for ind in catalogue.indicators]
    assert len(ids) >= 20 and set(ids) >= REQUIRED
    by_id = catalogue.by_id()
    assert by_id["seu_u9"].denominator == ("uheft_vorgelegt",)
    assert by_id["seu_masern"].denominator == ("impfpass_vorgelegt",)
    assert by_id["seu_uebergewicht"].numerator == ("uebergewicht", "adipositas")
    assert set(by_id["kinderarmut_sgb2_erweitert"].numerator) == {
        "sgb2_kinder_u15",
        "sgb2_kinder_u15_ohne_anspruch",
    }
    assert len(catalogue.sozialindex_components) == 7


def test_measure_register_links_only_catalogue_indicators():
    links = Path(CATALOGUE_PATH).parents[1] / "raw_data" / "sample" / "planted_effects.csv"
    linked = {line.split(";")[1] for line in links.read_text().splitlines()[1:]}
    assert linked <= set(load_catalogue().by_id())


def write_catalogue(tmp_path: Path, change) -> Path:
    raw = yaml.safe_load(CATALOGUE_PATH.read_text(encoding="utf-8"))
    change(raw)
    path = tmp_path / "catalogue.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def first(raw: dict) -> dict:
    return raw["indicators"][0]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda raw: first(raw)["numerator"].append("kinder_gibt_es_nicht"),
            "Indikator 'kinderarmut_sgb2': Feld 'kinder_gibt_es_nicht' im Zähler",
        ),
        (
            lambda raw: first(raw).update(denominator=["gebiet_name"]),
            "Indikator 'kinderarmut_sgb2': Feld 'gebiet_name' im Nenner ist keine Anzahl",
        ),
        (
            lambda raw: raw["indicators"].append(dict(first(raw))),
            "Indikator 'kinderarmut_sgb2': die Kennung ist doppelt vergeben",
        ),
        (
            lambda raw: first(raw).pop("denominator"),
            "Indikator 'kinderarmut_sgb2': Angabe 'denominator' fehlt",
        ),
        (
            lambda raw: first(raw).update(denominator=[]),
            "Indikator 'kinderarmut_sgb2': Nenner fehlt",
        ),
        (
            lambda raw: first(raw).update(source="einwohnermeldeamt"),
            "Indikator 'kinderarmut_sgb2': unbekannte Quelle 'einwohnermeldeamt'",
        ),
        (
            lambda raw: first(raw).update(formel="sum(x)/sum(y)"),
            "Indikator 'kinderarmut_sgb2': unbekannte Angabe 'formel'",
        ),
        (
            lambda raw: raw["sozialindex"]["components"].append("gluecksindex"),
            "Sozialindex: Indikator 'gluecksindex' steht nicht im Katalog",
        ),
    ],
)
def test_inconsistent_catalogue_names_indicator_and_field(tmp_path, change, message):
    with pytest.raises(CatalogueError) as error:
        load_catalogue(write_catalogue(tmp_path, change))
    assert message in str(error.value)
