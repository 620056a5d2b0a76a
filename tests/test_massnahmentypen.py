"""Measure types: the vocabulary, the register's column checked against it, and the way a
valid type takes through the warehouse into the export."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml

from conftest import CATALOGUE, SAMPLE, write_csv
from indicators.ingest.delivery import check_delivery
from indicators.store.loading import stage_deliveries
from indicators.store.schema import ensure_schema
from schemas.measure_types import (
    MEASURE_TYPES_PATH,
    OTHER,
    VocabularyError,
    load_measure_types,
    measure_type_ids,
)
from schemas.source import References

REGISTER = {
    "titel": "Elterncafé",
    "traeger": "Stadt",
    "lebensphase": "Kita (3–6)",
    "zielgruppe_alter": "3-5",
}
COMMON_TYPES = {
    "willkommensbesuche",
    "familienhebammen",
    "sprachfoerderung_alltagsintegriert",
    "elternbildung",
    "uebergang_kita_grundschule",
    "kita_sozialarbeit",
    "schulsozialarbeit",
    "bewegungsfoerderung",
    "gesundheitsfoerderung",
    "sonstige",
}


# --- the vocabulary ----------------------------------------------------------------------------


def test_the_vocabulary_loads_with_unique_snake_case_ids_and_german_texts():
    types = load_measure_types()
    ids = [t.id for t in types]
    assert len(ids) == len(set(ids))
    assert set(ids) >= COMMON_TYPES
    assert measure_type_ids() == frozenset(ids)
    raw = yaml.safe_load(MEASURE_TYPES_PATH.read_text(encoding="utf-8"))
    assert [entry["id"] for entry in raw] == ids  # nothing dropped on the way
    for t in types:
        assert t.id.replace("_", "").isalpha() and t.id == t.id.lower()
        assert t.name and t.description.endswith(".")
    assert next(t for t in types if t.id == OTHER).name == "Sonstige"


def test_a_malformed_vocabulary_names_every_problem_in_german(tmp_path):
    path = tmp_path / "massnahmentypen.yaml"
    path.write_text(
        "- {id: elternbildung, name: Elternbildung, beschreibung: Kurse.}\n"
        "- {id: elternbildung, name: Doppelt, beschreibung: Noch einmal.}\n"
        "- {id: Sprach-Kita, name: Sprache, beschreibung: Sprache.}\n"
        "- {id: ohne_name, beschreibung: Fehlt.}\n",
        encoding="utf-8",
    )
    with pytest.raises(VocabularyError) as raised:
        load_measure_types(path)
    assert raised.value.problems == [
        "Typ 'Sprach-Kita': Kennung nur aus Kleinbuchstaben, Ziffern und '_'",
        "Typ 'ohne_name': Angabe 'name' fehlt",
        "Typ 'elternbildung': die Kennung ist doppelt vergeben",
        "der Typ 'sonstige' fehlt (für Maßnahmen, die keinem Typ entsprechen)",
    ]


# --- the register ------------------------------------------------------------------------------


def register_file(folder: Path, *types: str) -> Path:
    rows = [{"massnahme_id": f"M{i:02d}", **REGISTER, "massnahmentyp": t}
            for i, t in enumerate(types, 1)]  # fmt: skip
    return write_csv(folder / "massnahmen.csv", "massnahmen", rows)


def test_an_unknown_type_is_quarantined_with_a_german_reason_naming_the_rule(tmp_path, refs):
    path = register_file(tmp_path, "elternbildung", "Elternkurs", "", "sonstige")
    result = check_delivery(path, "massnahmen", refs)
    assert (result.rows_read, result.rows_staged, result.rows_quarantined) == (4, 3, 1)
    [finding] = result.findings
    assert (finding.row, finding.column, finding.value) == (3, "massnahmentyp", "Elternkurs")
    assert finding.rule.startswith("Regel: der Maßnahmentyp muss eine Kennung aus der Liste")
    assert "indicators/massnahmentypen.yaml" in finding.rule
    [reason] = result.reasons_by_row(result.findings).values()
    assert reason.startswith("Spalte 'Maßnahmentyp': Regel: der Maßnahmentyp")
    assert reason.endswith("(Wert: Elternkurs)")
    valid = result.rows.valid.set_index("massnahme_id")["massnahmentyp"]
    assert valid["M01"] == "elternbildung" and valid["M04"] == "sonstige"
    assert pd.isna(valid["M03"])  # an empty cell names no type


def test_the_types_are_known_without_reference_data(tmp_path):
    """The vocabulary is the schemas' own: a check without any references (as when the
    register is read to find the measure ids) accepts a known type."""
    path = register_file(tmp_path, "familienhebammen", "unbekannt")
    result = check_delivery(path, "massnahmen", References())
    assert result.rows.valid["massnahme_id"].tolist() == ["M01"]
    assert [f.value for f in result.findings] == ["unbekannt"]


def test_a_register_without_the_column_is_valid(tmp_path, refs):
    rows = [{"massnahme_id": "M01", **REGISTER}]
    path = write_csv(tmp_path / "massnahmen.csv", "massnahmen", rows)
    result = check_delivery(path, "massnahmen", refs)
    assert result.findings == [] and result.rows_staged == 1


def test_the_quarantined_row_keeps_its_type_and_reason_in_the_warehouse(tmp_path):
    path = register_file(tmp_path, "schulsozialarbeit", "Schulsozialarbeit")
    with duckdb.connect() as con:
        ensure_schema(con, CATALOGUE)
        stage_deliveries(con, "massnahmen", [path], tmp_path / "archiv", CATALOGUE.by_id())
        staged = con.execute("SELECT massnahme_id, massnahmentyp FROM staging.massnahmen")
        assert staged.fetchall() == [("M01", "schulsozialarbeit")]
        [(row, value, reason)] = con.execute(
            "SELECT source_row, massnahmentyp, grund FROM quarantine.massnahmen"
        ).fetchall()
        mart = con.execute("SELECT massnahme_id, massnahmentyp FROM mart.massnahmen").fetchall()
    assert (row, value) == (3, "Schulsozialarbeit")
    assert "Spalte 'Maßnahmentyp': Regel: der Maßnahmentyp muss" in reason
    assert mart == [("M01", "schulsozialarbeit")]


def test_a_municipality_maps_its_own_column_title_to_the_type(tmp_path, refs):
    data_dir = tmp_path / "daten"
    mapping = yaml.safe_load((SAMPLE.parent / "mappings" / "massnahmen.yaml").read_text("utf-8"))
    mapping["columns"]["massnahmentyp"] = ["Art des Angebots"]
    (data_dir / "mappings").mkdir(parents=True)
    (data_dir / "mappings" / "massnahmen.yaml").write_text(
        yaml.safe_dump(mapping, allow_unicode=True), encoding="utf-8"
    )
    path = tmp_path / "register.csv"
    path.write_text(
        "Maßnahme-Nr.;Titel;Art des Angebots;Träger;Lebensphase;Zielgruppe (Alter)\n"
        "M01;Lesepaten;lernfoerderung;Bildungsbüro;Grundschule (6–10);6-9\n",
        encoding="utf-8",
    )
    result = check_delivery(path, "massnahmen", refs, data_dir=data_dir)
    assert result.findings == []
    assert result.rows.valid["massnahmentyp"].tolist() == ["lernfoerderung"]


# --- the export --------------------------------------------------------------------------------


def read_rows(path: Path, delimiter: str) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=delimiter))


def test_the_sample_types_reach_the_exported_register(sample_export):
    _, folder, _ = sample_export
    delivered = {
        row["Maßnahme-Nr."]: row["Maßnahmentyp"]
        for row in read_rows(SAMPLE / "massnahmen" / "massnahmen.csv", ";")
    }
    assert set(delivered.values()) <= measure_type_ids() and "" not in delivered.values()
    exported = read_rows(folder / "massnahmen.csv", ",")
    assert {row["massnahme_id"]: row["massnahmentyp"] for row in exported} == delivered
    header = list(exported[0])
    assert header.index("massnahmentyp") == header.index("titel") + 1
    copy = read_rows(folder / "excel" / "massnahmen.csv", ";")
    assert [row["massnahmentyp"] for row in copy] == [row["massnahmentyp"] for row in exported]
