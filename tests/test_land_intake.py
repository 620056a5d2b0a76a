"""The Land's intake on a real exported package: what it refuses, why, and what it keeps."""

import csv
import hashlib
import json
import shutil
import stat
import threading
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from older_packages import as_older_format

from indicators.export.manifest import PACKAGE_FORMAT
from indicators.export.spec import SUPPRESSED_FLAG, TABLES
from indicators.land import verify
from indicators.land.format import (
    SUPPORTED_FORMATS,
    count_columns,
    derived_columns,
    package_files,
    required_columns,
    table_schemas,
)
from indicators.land.packages import Limits
from indicators.land.store import LandStore
from indicators.land.verify import verify_package

# --- helpers -----------------------------------------------------------------------------


def writable_copy(folder: Path, target: Path) -> Path:
    shutil.copytree(folder, target)
    for path in [target, *target.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return target


def read_manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


def resign(folder: Path, **changes) -> dict:
    """Apply ``changes`` to the manifest and compute every checksum anew, the way someone who
    changed the package on purpose would: the integrity checks then find nothing."""
    manifest = {k: v for k, v in read_manifest(folder).items() if k != "manifest_sha256"}
    manifest.update(changes)
    manifest["dateien"] = {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != "manifest.json"
    }
    text = json.dumps(manifest, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    manifest["manifest_sha256"] = hashlib.sha256(text.encode("utf-8")).hexdigest()
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return manifest


def rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def write_rows(path: Path, table: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(table)


def zipped(folder: Path, target: Path, *, top: bool, extra: dict[str, bytes] | None = None):
    """The package as a ZIP file, inside one top folder or at the root."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                name = path.relative_to(folder.parent if top else folder).as_posix()
                archive.write(path, name)
        for name, data in (extra or {}).items():
            archive.writestr(zipfile.ZipInfo(name), data)
    return target


def stored_packages(land: LandStore) -> list[Path]:
    if not land.packages.exists():
        return []
    return sorted(p for p in land.packages.glob("*/*") if p.is_dir())


def other_key(ags: str) -> str:
    """A valid key of the same length that is not ``ags``."""
    return str((int(ags) + 1) % 10 ** len(ags)).zfill(len(ags))


@pytest.fixture
def package(sample_export, tmp_path) -> Path:
    """A writable copy of the exported sample package in an incoming folder."""
    _, folder, _ = sample_export
    return writable_copy(folder, tmp_path / "eingang" / folder.name)


@pytest.fixture
def threshold(package) -> int:
    """The Land's least threshold in these tests: that of the package."""
    return read_manifest(package)["geheimhaltungsschwelle"]


@pytest.fixture
def land(tmp_path) -> LandStore:
    return LandStore(tmp_path / "land")


def refused(land: LandStore, path: Path, threshold: int, **options):
    """Take ``path`` in, expect a refusal that stored nothing, return its findings."""
    result = land.intake(path, threshold, move_rejected=False, **options)
    assert result.status == "abgelehnt"
    assert stored_packages(land) == []
    assert not list(land.root.glob(".*"))  # no checking folder left behind
    assert land.history()[-1]["status"] == "abgelehnt"
    for finding in result.findings:
        assert finding.text() in result.report
    return result.findings


def only(findings, rule):
    assert [f.regel for f in findings] == [rule], [f.text() for f in findings]
    return findings[0]


# --- the format ----------------------------------------------------------------------------


def test_the_export_writes_the_format_it_declares():
    """A change of the export tables needs a new package format."""
    assert PACKAGE_FORMAT in SUPPORTED_FORMATS
    assert required_columns(PACKAGE_FORMAT) == {
        t.name: (*t.columns, *((SUPPRESSED_FLAG,) if t.suppressed else ())) for t in TABLES
    }
    assert count_columns(PACKAGE_FORMAT) == {t.name: t.counts for t in TABLES if t.counts}
    assert derived_columns(PACKAGE_FORMAT) == {t.name: t.derived for t in TABLES if t.derived}


def test_the_pinned_schemas_are_those_the_export_writes(sample_export):
    _, folder, _ = sample_export
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    for resource in descriptor["resources"]:
        official = table_schemas(PACKAGE_FORMAT)[resource["name"]]
        schema = resource["schema"]
        assert [(f["name"], f["type"]) for f in schema["fields"]] == list(official.fields)
        assert tuple(schema["primaryKey"]) == official.primary_key
        assert [
            (tuple(k["fields"]), k["reference"]["resource"], tuple(k["reference"]["fields"]))
            for k in schema.get("foreignKeys", [])
        ] == [(k.fields, k.resource, k.reference) for k in official.foreign_keys]


def test_the_exported_package_holds_exactly_the_files_of_its_format(sample_export):
    _, folder, _ = sample_export
    files = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert files - {"manifest.json"} == package_files(PACKAGE_FORMAT)


def test_a_package_of_format_1_is_still_accepted(land, package, threshold, tmp_path):
    older = as_older_format(package, tmp_path / "alt" / package.name, 1)
    assert read_manifest(older)["paketformat"] == 1
    assert "massnahmentyp" not in rows(older / "massnahmen.csv")[0]
    assert verify_package(older, threshold).findings == []
    result = land.intake(older, threshold, move_rejected=False)
    assert (result.status, result.findings) == ("aufgenommen", [])
    assert stored_packages(land) == [result.paket]


def test_a_package_of_format_2_declared_as_format_1_is_refused(land, package, threshold):
    resign(package, paketformat=1)
    findings = refused(land, package, threshold)
    added = package_files(2) - package_files(1)  # the tables of the pooling statistics
    assert added and {(f.datei, f.regel) for f in findings} == {
        (name, "datei_unbekannt") for name in added
    }
    assert all("nicht zu Paketformat 1" in f.meldung for f in findings)


# --- refused packages ----------------------------------------------------------------------


def test_a_tampered_file_is_refused_by_its_checksum(land, package, threshold):
    table = package / "indikatoren.csv"
    table.write_bytes(table.read_bytes().replace(b",", b";", 1))
    finding = only(refused(land, package, threshold), "pruefsumme")
    assert finding.datei == "indikatoren.csv"
    assert "Prüfsumme der Datei passt nicht zum Manifest" in finding.meldung


def test_a_missing_file_is_refused(land, package, threshold):
    (package / "bericht.html").unlink()
    finding = only(refused(land, package, threshold), "datei_fehlt")
    assert finding.datei == "bericht.html" and "fehlt aber im Paket" in finding.meldung


def test_an_unknown_extra_file_is_refused(land, package, threshold):
    (package / "excel" / "notizen.txt").write_text("zusätzlich", encoding="utf-8")
    finding = only(refused(land, package, threshold), "datei_unbekannt")
    assert finding.datei == "excel/notizen.txt" and "nicht im Manifest" in finding.meldung


def test_an_extra_file_listed_in_a_resigned_manifest_is_still_unknown(land, package, threshold):
    (package / "skript.sh").write_text("rm -rf /", encoding="utf-8")
    resign(package)
    finding = only(refused(land, package, threshold), "datei_unbekannt")
    assert finding.datei == "skript.sh"
    assert f"nicht zu Paketformat {PACKAGE_FORMAT}" in finding.meldung


def test_an_edited_manifest_is_refused_by_its_own_checksum(land, package, threshold):
    manifest = read_manifest(package)
    manifest["kommune"] += " (geändert)"
    (package / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    finding = only(refused(land, package, threshold), "manifest_pruefsumme")
    assert (finding.datei, finding.spalte) == ("manifest.json", "manifest_sha256")


def test_a_package_without_manifest_is_refused(land, package, threshold):
    (package / "manifest.json").unlink()
    assert only(refused(land, package, threshold), "manifest_fehlt").datei == "manifest.json"


def test_a_manifest_that_is_no_json_names_its_line(land, package, threshold):
    (package / "manifest.json").write_text('{\n  "paketformat": 1,\n  kaputt\n}', encoding="utf-8")
    finding = only(refused(land, package, threshold), "manifest_lesbar")
    assert finding.zeile == 3


def test_a_manifest_missing_a_field_names_it(land, package, threshold):
    manifest = read_manifest(package)
    del manifest["run_id"]
    (package / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    finding = only(refused(land, package, threshold), "manifest_felder")
    assert finding.spalte == "run_id"


def test_an_unknown_package_format_is_refused(land, package, threshold):
    unknown = max(SUPPORTED_FORMATS) + 1
    resign(package, paketformat=unknown)
    finding = only(refused(land, package, threshold), "paketformat")
    assert f"Paketformat {unknown} ist unbekannt" in finding.meldung
    assert finding.spalte == "paketformat"


def test_a_package_claiming_another_municipality_is_refused_by_the_ags_rule(
    land, package, threshold
):
    ags = read_manifest(package)["ags"]
    claimed = other_key(ags)
    resign(package, ags=claimed)
    findings = refused(land, package, threshold)
    assert {f.regel for f in findings} == {"ags"}
    city = next(f for f in findings if f.datei == "kommune.csv")
    assert (city.zeile, city.spalte) == (2, "gebiet_id")
    assert repr(ags) in city.meldung and claimed in city.meldung
    assert {f.datei for f in findings} == {"kommune.csv", "gebiete.csv", "indikatoren.csv"}


def test_a_changed_ags_in_kommune_csv_is_named_with_row_and_column(land, package, threshold):
    table = rows(package / "kommune.csv")
    column = table[0].index("gebiet_id")
    ags = table[1][column]
    table[1][column] = other_key(ags)
    write_rows(package / "kommune.csv", table)
    resign(package)
    findings = refused(land, package, threshold)
    [key] = [f for f in findings if f.regel == "ags"]
    assert (key.datei, key.zeile, key.spalte) == ("kommune.csv", 2, "gebiet_id")
    assert repr(other_key(ags)) in key.meldung and ags in key.meldung
    # the table kommune refers to the areas, so Frictionless finds the dangling key too
    assert {f.regel for f in findings} == {"ags", "datapackage"}


def test_an_ags_that_is_no_official_key_is_refused(land, package, threshold):
    resign(package, ags="12ab")
    finding = only(refused(land, package, threshold), "ags")
    assert finding.spalte == "ags" and "'12ab'" in finding.meldung


def test_a_package_below_the_land_threshold_is_refused(land, package, threshold):
    resign(package, geheimhaltungsschwelle=threshold - 2)
    finding = only(refused(land, package, threshold), "schwelle")
    assert finding.spalte == "geheimhaltungsschwelle"
    assert f"Geheimhaltungsschwelle {threshold - 2}" in finding.meldung
    assert f"mindestens {threshold}" in finding.meldung


def test_a_count_between_one_and_the_threshold_is_named_by_file_row_and_column(
    land, package, threshold
):
    [table] = [t for t in TABLES if "zaehler" in t.counts]
    path = package / f"{table.name}.csv"
    content = rows(path)
    column = content[0].index("zaehler")
    index = next(i for i, row in enumerate(content[1:], 1) if row[column])
    content[index][column] = str(threshold - 1)
    write_rows(path, content)
    resign(package)
    finding = only(refused(land, package, threshold), "kleine_zahl")
    assert (finding.datei, finding.zeile, finding.spalte) == (path.name, index + 1, "zaehler")
    assert f"Die Anzahl {threshold - 1} liegt zwischen 1 und {threshold - 1}" in finding.meldung


def test_a_missing_column_is_named(land, package, threshold):
    path = package / "massnahmen.csv"
    content = rows(path)
    column = content[0].index("traeger")
    write_rows(path, [row[:column] + row[column + 1 :] for row in content])
    resign(package)
    findings = refused(land, package, threshold)
    [missing] = [f for f in findings if f.regel == "spalte_fehlt"]
    assert (missing.datei, missing.spalte) == ("massnahmen.csv", "traeger")
    # datapackage.json still describes the column: Frictionless names the header
    assert {f.regel for f in findings} == {"spalte_fehlt", "datapackage"}


def test_a_value_of_the_wrong_type_is_found_by_frictionless(land, package, threshold):
    path = package / "indikatoren.csv"
    content = rows(path)
    column = content[0].index("jahr")
    content[3][column] = "zweitausend"
    write_rows(path, content)
    resign(package)
    finding = only(refused(land, package, threshold), "datapackage")
    assert (finding.datei, finding.zeile, finding.spalte) == ("indikatoren.csv", 4, "jahr")
    assert finding.meldung.startswith("Der Wert passt nicht zum Datentyp")


def test_a_table_pointing_outside_the_package_is_refused_before_it_is_read(
    land, package, threshold
):
    descriptor = json.loads((package / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["resources"][0]["path"] = "https://example.org/kommune.csv"
    (package / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    resign(package)
    finding = only(refused(land, package, threshold), "datapackage")
    assert "Verweise auf andere Orte sind nicht zulässig" in finding.meldung


def test_a_refused_package_is_moved_out_with_its_report_beside_it(land, package, threshold):
    (package / "bericht.html").unlink()
    result = land.intake(package, threshold, move_rejected=True)
    assert result.status == "abgelehnt" and not package.exists()
    moved = land.rejected / package.name
    assert (moved / "manifest.json").exists()
    report = (land.rejected / f"{package.name}.pruefbericht.txt").read_text(encoding="utf-8")
    assert report == result.report
    assert "Datei bericht.html (Regel datei_fehlt)" in report
    assert "Das Paket wird abgelehnt (1 Befund)" in report
    [line] = land.history()
    manifest = read_manifest(moved)
    assert line["status"] == "abgelehnt" and line["ags"] == manifest["ags"]
    assert line["manifest_sha256"] == manifest["manifest_sha256"]
    assert line["quelle"] == str(package)


def test_a_second_refusal_of_the_same_name_keeps_the_first(land, package, threshold, tmp_path):
    (package / "bericht.html").unlink()
    again = writable_copy(package, tmp_path / "noch einmal" / package.name)
    land.intake(package, threshold, move_rejected=True)
    land.intake(again, threshold, move_rejected=True)
    names = sorted(p.name for p in land.rejected.iterdir())
    assert names == sorted(
        [package.name, f"{package.name}.pruefbericht.txt",
         f"{package.name}_2", f"{package.name}_2.pruefbericht.txt"]
    )  # fmt: skip


# --- ZIP files -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("member", "problem"),
    [("../evil.csv", "enthält »..«"), ("/tmp/evil.csv", "absoluter Pfad"),
     ("a\\..\\evil.csv", "umgekehrten Schrägstrich"), ("C:/evil.csv", "Laufwerksbuchstaben")],
)  # fmt: skip
def test_a_zip_with_a_name_leading_outside_is_refused_unextracted(
    land, package, threshold, tmp_path, member, problem
):
    archive = zipped(package, tmp_path / "paket.zip", top=False, extra={member: b"x"})
    assert member in zipfile.ZipFile(archive).namelist()
    finding = only(refused(land, archive, threshold), "zip_pfad")
    assert finding.datei == "paket.zip"
    assert repr(member) in finding.meldung and problem in finding.meldung
    assert not (tmp_path / "evil.csv").exists() and not Path("/tmp/evil.csv").exists()


def test_a_zip_with_a_symbolic_link_is_refused(land, package, threshold, tmp_path):
    archive = zipped(package, tmp_path / "paket.zip", top=False)
    link = zipfile.ZipInfo("kommune_link.csv")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    with zipfile.ZipFile(archive, "a") as out:
        out.writestr(link, "/etc/passwd")
    finding = only(refused(land, archive, threshold), "zip_pfad")
    assert "symbolischer Verweis" in finding.meldung


def test_a_zip_larger_than_the_limit_when_extracted_is_refused(land, package, threshold, tmp_path):
    archive = zipped(package, tmp_path / "paket.zip", top=True)
    limit = archive.stat().st_size  # the package unpacks to several times its ZIP file
    finding = only(refused(land, archive, threshold, limits=Limits(size=limit)), "zip_groesse")
    assert f"mehr als {limit:,} Bytes".replace(",", ".") in finding.meldung


def test_a_zip_with_too_many_members_is_refused(land, package, threshold, tmp_path):
    archive = zipped(package, tmp_path / "paket.zip", top=False)
    members = len(zipfile.ZipFile(archive).namelist())
    limits = Limits(members=members - 1)
    finding = only(refused(land, archive, threshold, limits=limits), "zip_groesse")
    assert f"{members} Einträge, erlaubt sind höchstens {members - 1}" in finding.meldung


def test_a_file_that_is_no_zip_is_refused(land, threshold, tmp_path):
    fake = tmp_path / "paket.zip"
    fake.write_bytes(b"kein zip")
    assert only(refused(land, fake, threshold), "zip_lesbar").datei == "paket.zip"


# --- accepted packages ---------------------------------------------------------------------


@pytest.mark.parametrize("form", ["ordner", "zip mit ordner", "zip ohne ordner"])
def test_a_valid_package_is_stored_read_only_from_a_folder_or_a_zip(
    land, package, threshold, tmp_path, form
):
    manifest = read_manifest(package)
    source = package
    if form != "ordner":
        source = zipped(package, tmp_path / "paket.zip", top=form == "zip mit ordner")
    result = land.intake(source, threshold, move_rejected=True)
    assert (result.status, result.findings, result.ags) == ("aufgenommen", [], manifest["ags"])
    created = datetime.fromisoformat(manifest["erstellt"])
    name = f"{manifest['ags']}_{created:%Y-%m-%dT%H%M%S}_{manifest['run_id'][:8]}"
    assert result.paket == land.packages / manifest["ags"] / name
    assert stored_packages(land) == [result.paket]
    assert land.current(manifest["ags"]) == result.paket
    assert land.municipalities() == [manifest["ags"]]
    stored = {p.relative_to(result.paket).as_posix(): p for p in result.paket.rglob("*")}
    assert {n: hashlib.sha256(p.read_bytes()).hexdigest() for n, p in stored.items()
            if p.is_file() and n != "manifest.json"} == manifest["dateien"]  # fmt: skip
    for path in [result.paket, *stored.values()]:
        assert path.stat().st_mode & 0o222 == 0, path
    assert source.exists()  # an accepted package is not moved
    [line] = land.history()
    assert line == {
        "ags": manifest["ags"], "paket": name, "kommune": manifest["kommune"],
        "erstellt": manifest["erstellt"], "eingang": line["eingang"], "quelle": str(source),
        "manifest_sha256": manifest["manifest_sha256"], "status": "aufgenommen",
    }  # fmt: skip
    assert "alle Prüfungen bestanden" in result.report


def test_the_same_package_again_is_already_present(land, package, threshold, tmp_path):
    first = land.intake(package, threshold, move_rejected=True)
    archive = zipped(package, tmp_path / "paket.zip", top=True)
    again = land.intake(archive, threshold, move_rejected=True)
    assert (again.status, again.paket) == ("vorhanden", first.paket)
    assert stored_packages(land) == [first.paket]
    assert [h["status"] for h in land.history()] == ["aufgenommen", "vorhanden"]


def variant(package: Path, target: Path, created: datetime, run_id: str) -> Path:
    """Another export of the same municipality: the package with another creation time and
    run, signed anew."""
    copy = writable_copy(package, target)
    resign(copy, erstellt=created.isoformat(timespec="seconds"), run_id=run_id)
    return copy


def test_a_newer_package_supersedes_and_an_older_one_joins_the_history(
    land, package, threshold, tmp_path
):
    manifest = read_manifest(package)
    ags, created = manifest["ags"], datetime.fromisoformat(manifest["erstellt"])
    later = created + timedelta(hours=12)  # not in the future: the leeway is one day
    newer = variant(package, tmp_path / "neu", later, "f" * 8 + "-0001")
    older = variant(package, tmp_path / "alt", created - timedelta(days=30), "0" * 8 + "-0002")
    same_time = variant(package, tmp_path / "gleich", later, "e" * 8)

    first = land.intake(package, threshold, move_rejected=False)
    assert first.status == "aufgenommen" and land.current(ags) == first.paket
    second = land.intake(newer, threshold, move_rejected=False)
    assert second.status == "aufgenommen" and land.current(ags) == second.paket
    third = land.intake(older, threshold, move_rejected=False)
    assert third.status == "historisch" and land.current(ags) == second.paket
    fourth = land.intake(same_time, threshold, move_rejected=False)  # same time, smaller run
    assert fourth.status == "historisch" and land.current(ags) == second.paket

    assert stored_packages(land) == sorted([first.paket, second.paket, third.paket, fourth.paket])
    assert land.municipalities() == [ags]
    assert [(h["paket"], h["status"]) for h in land.history()] == [
        (first.paket.name, "aufgenommen"),
        (second.paket.name, "aufgenommen"),
        (third.paket.name, "historisch"),
        (fourth.paket.name, "historisch"),
    ]


def test_two_intakes_at_once_wait_for_each_other(land, package, threshold, tmp_path):
    created = datetime.fromisoformat(read_manifest(package)["erstellt"])
    other = variant(package, tmp_path / "zweites", created + timedelta(days=1), "a" * 8)
    results = {}

    def take(path: Path) -> None:
        results[path] = land.intake(path, threshold, move_rejected=False).status

    threads = [threading.Thread(target=take, args=(p,)) for p in (package, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results.values()) in (["aufgenommen", "aufgenommen"],
                                        ["aufgenommen", "historisch"])  # fmt: skip
    assert len(stored_packages(land)) == 2 and len(land.history()) == 2
    assert land.current(read_manifest(package)["ags"]).name.endswith("a" * 8)


def test_verification_alone_passes_the_exported_package(sample_export, threshold):
    _, folder, _ = sample_export
    result = verify_package(folder, threshold)
    assert result.passed and result.manifest == read_manifest(folder)


# --- re-signed packages that claim more than the format allows -----------------------------


def edit_descriptor(package: Path, change) -> None:
    path = package / "datapackage.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    change(descriptor)
    path.write_text(json.dumps(descriptor, ensure_ascii=False), encoding="utf-8")


def resource(descriptor: dict, name: str) -> dict:
    return next(r for r in descriptor["resources"] if r["name"] == name)


def field(descriptor: dict, table: str, column: str) -> dict:
    return next(f for f in resource(descriptor, table)["schema"]["fields"] if f["name"] == column)


def edit_cell(package: Path, file: str, column: str, value: str, *, where=None) -> int:
    """Set ``column`` of the first row (satisfying ``where``) to ``value``; its line."""
    path = package / file
    content = rows(path)
    index = next(
        i for i, row in enumerate(content[1:], 1) if where is None or where(content[0], row)
    )
    content[index][content[0].index(column)] = value
    write_rows(path, content)
    return index + 1


def test_a_table_named_by_a_list_is_refused_not_a_crash(land, package, threshold):
    edit_descriptor(package, lambda d: d["resources"].append({"name": ["x"]}))
    resign(package)
    finding = only(refused(land, package, threshold), "datapackage")
    assert "['x']" in finding.meldung


def test_a_pattern_in_a_schema_is_refused_not_a_crash(land, package, threshold):
    edit_descriptor(
        package, lambda d: field(d, "massnahmen", "titel").update(constraints={"pattern": "("})
    )
    resign(package)
    finding = only(refused(land, package, threshold), "schema")
    assert "titel" in finding.meldung


def test_an_unexpected_error_while_verifying_refuses_the_package(
    land, package, threshold, monkeypatch
):
    def broken(*_):
        raise RuntimeError("kaputt")

    monkeypatch.setattr(verify, "structure", broken)
    finding = only(refused(land, package, threshold), "unlesbar")
    assert "kaputt" in finding.meldung


def test_a_stored_manifest_with_a_time_beyond_the_calendar_does_not_stop_intakes(
    land, package, threshold
):
    ags = read_manifest(package)["ags"]
    stored = land.packages / ags / f"{ags}_alt"
    stored.mkdir(parents=True)
    manifest = {
        **read_manifest(package),
        "erstellt": "9999-12-31T23:59:59-14:00",
        "manifest_sha256": "0" * 64,
    }
    (stored / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert land.intake(package, threshold, move_rejected=False).status == "historisch"
    assert land.current(ags) == stored


@pytest.mark.parametrize(
    ("table", "change", "rule"),
    [
        ("massnahmen", lambda r: field_of(r, "beschreibung").update(type="any"), "schema"),
        ("kommune", lambda r: r["schema"]["fields"].reverse(), "schema"),
        ("kommune", lambda r: r["schema"].update(primaryKey=["gebiet_name"]), "schema"),
        ("massnahmen", lambda r: r.update(dialect={"commentChar": "#"}), "datapackage"),
        ("kommune", lambda r: r.update(format="tsv"), "datapackage"),
        ("kommune", lambda r: r.update(encoding="latin-1"), "datapackage"),
        ("kommune", lambda r: r.update(compression="zip"), "datapackage"),
    ],
)
def test_a_table_described_otherwise_than_the_format_is_refused(
    land, package, threshold, table, change, rule
):
    edit_descriptor(package, lambda d: change(resource(d, table)))
    resign(package)
    finding = only(refused(land, package, threshold), rule)
    assert table in finding.meldung


def field_of(resource: dict, column: str) -> dict:
    return next(f for f in resource["schema"]["fields"] if f["name"] == column)


def test_a_value_derived_from_a_suppressed_count_is_refused(land, package, threshold):
    line = edit_cell(
        package, "indikatoren.csv", "zaehler", "", where=lambda h, r: r[h.index("wert")] != ""
    )
    resign(package)
    findings = refused(land, package, threshold)
    assert {f.regel for f in findings} == {"abgeleitet_offen"}
    assert {(f.datei, f.zeile) for f in findings} == {("indikatoren.csv", line)}
    assert {f.spalte for f in findings} == {"wert", "ki_unten", "ki_oben"}


def test_a_count_that_is_no_whole_number_is_refused(land, package, threshold):
    line = edit_cell(
        package, "indikatoren.csv", "nenner", "1000.5", where=lambda h, r: r[h.index("nenner")]
    )
    resign(package)
    findings = refused(land, package, threshold)
    finding = next(f for f in findings if f.regel == "anzahl")
    assert (finding.datei, finding.zeile, finding.spalte) == ("indikatoren.csv", line, "nenner")


def test_a_small_count_in_an_excel_copy_is_refused(land, package, threshold):
    path = package / "excel" / "indikatoren.csv"
    content = [row.split(";") for row in path.read_bytes().decode("utf-8-sig").split("\r\n")]
    column = content[0].index("zaehler")
    index = next(i for i, row in enumerate(content[1:], 1) if row[column])
    content[index][column] = str(threshold - 1)
    path.write_bytes("\r\n".join(";".join(row) for row in content).encode("utf-8-sig"))
    resign(package)
    finding = only(refused(land, package, threshold), "kleine_zahl")
    assert (finding.datei, finding.zeile, finding.spalte) == (
        "excel/indikatoren.csv",
        index + 1,
        "zaehler",
    )


def test_an_ags_of_other_digits_than_ascii_is_refused(land, package, threshold):
    ags = read_manifest(package)["ags"]
    resign(package, ags=ags.translate(str.maketrans("0123456789", "０１２３４５６７８９")))
    assert only(refused(land, package, threshold), "ags").spalte == "ags"


def test_an_eight_digit_key_of_a_kreis_is_refused(land, package, threshold):
    line = edit_cell(package, "kommune.csv", "art", "Kreis")
    resign(package)
    finding = only(refused(land, package, threshold), "ags")
    assert (finding.datei, finding.zeile, finding.spalte) == ("kommune.csv", line, "art")


def test_a_manifest_naming_another_municipality_is_refused(land, package, threshold):
    resign(package, kommune="Anderswo")
    finding = only(refused(land, package, threshold), "kommune")
    assert (finding.datei, finding.spalte) == ("kommune.csv", "gebiet_name")


@pytest.mark.parametrize("created", ["2099-12-31T23:59:59", "20270115T100000", "2027-W03-5"])
def test_an_erstellt_in_the_future_or_of_another_form_is_refused(land, package, threshold, created):
    resign(package, erstellt=created)
    finding = only(refused(land, package, threshold), "erstellt")
    assert finding.spalte == "erstellt" and repr(created) in finding.meldung


def test_a_control_character_in_a_cell_is_refused(land, package, threshold):
    line = edit_cell(package, "massnahmen.csv", "titel", "Kita\x00plus")
    resign(package)
    findings = refused(land, package, threshold)
    finding = next(f for f in findings if f.regel == "steuerzeichen")
    assert (finding.datei, finding.zeile, finding.spalte) == ("massnahmen.csv", line, "titel")
    assert "U+0000" in finding.meldung


def test_a_package_folder_larger_than_the_limit_is_refused_before_it_is_copied(
    land, package, threshold
):
    finding = only(refused(land, package, threshold, limits=Limits(size=1000)), "paket_groesse")
    assert finding.datei == package.name
