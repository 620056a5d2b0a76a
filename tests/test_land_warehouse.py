"""The Land warehouse built from real evaluation packages, checked against their CSV files."""

from __future__ import annotations

import math
import shutil
import statistics
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from older_packages import as_older_format

from indicators.compute.rates import Z_95
from indicators.land.comments import land_docs
from indicators.land.format import NEWEST_FORMAT, VERSION_1, table_schemas
from indicators.land.partitions import write_partition
from indicators.land.pooled_effects import TABLE_COLUMNS
from indicators.land.warehouse import DATA, build_land_warehouse, publish_land_warehouse

ENGLISH = {"the", "of", "and", "with", "where", "value", "number", "is"}


@dataclass(frozen=True)
class Land:
    root: Path
    packages: dict[str, Path]
    """Package folder by AGS, as written into the partitions."""
    database: Path
    published: Path
    suppressed: tuple[int, str]
    """(jahr, indikator_id) of the city row of ``suppressed_name`` suppressed here."""
    suppressed_name: str
    """The municipality (the first package's) whose city row of one indicator-year the tests
    suppress."""


def read_csv(package: Path, table: str) -> pd.DataFrame:
    """A table of a package read independently of the code under test."""
    frame = pd.read_csv(
        package / f"{table}.csv", dtype={"gebiet_id": str}, keep_default_na=False,
        na_values=[""],
    )  # fmt: skip
    for column in ("gesperrt", "teilerhebung", "hoeher_ist_besser", "aktiv"):
        if column in frame:
            frame[column] = frame[column].map({True: True, False: False, "true": True,
                                               "false": False})  # fmt: skip
    return frame


def ags_of(package: Path) -> str:
    return read_csv(package, "kommune")["gebiet_id"].iloc[0]


def copy_packages(folders: list[Path], target: Path) -> dict[str, Path]:
    copies = {}
    for folder in folders:
        copy = target / folder.name
        shutil.copytree(folder, copy)
        for path in (copy, *copy.rglob("*")):
            path.chmod(0o755 if path.is_dir() else 0o644)
        copies[ags_of(copy)] = copy
    return copies


def city_rows(packages: dict[str, Path]) -> pd.DataFrame:
    """The rows of each municipality as a whole, with its name, kind and catalogue."""
    frames = []
    for ags, package in packages.items():
        kommune = read_csv(package, "kommune").iloc[0]
        rows = read_csv(package, "indikatoren")
        rows = rows[rows["ebene_rang"] == 0].drop(columns=["indikator_name", "einheit"])
        catalogue = read_csv(package, "indikatorkatalog")
        rows = rows.merge(catalogue, on="indikator_id", how="left")
        frames.append(rows.assign(ags=ags, kommune=kommune["gebiet_name"], art=kommune["art"]))
    return pd.concat(frames, ignore_index=True)


def suppress_city_row(packages: dict[str, Path], name: str) -> tuple[int, str]:
    """Suppress the city row of municipality ``name`` in the first indicator-year for which
    every municipality has a value (one with a direction if there is one), the way the export
    does: counts and rates empty, gesperrt."""
    rows = city_rows(packages)
    known = rows[rows["wert"].notna()]
    everywhere = known.groupby(["jahr", "indikator_id"])["ags"].nunique() == len(packages)
    directed = set(known.loc[known["hoeher_ist_besser"].notna(), "indikator_id"])
    jahr, indikator = min(everywhere[everywhere].index, key=lambda k: k[1] not in directed)
    [ags] = rows.loc[rows["kommune"] == name, "ags"].unique()
    path = packages[ags] / "indikatoren.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    row = (frame["ebene_rang"] == "0") & (frame["jahr"] == str(jahr))
    row &= frame["indikator_id"] == indikator
    frame.loc[row, ["zaehler", "wert", "ki_unten", "ki_oben"]] = ""
    frame.loc[row, "gesperrt"] = "true"
    frame.to_csv(path, index=False, lineterminator="\n")
    return int(jahr), indikator


def build(root: Path, packages: dict[str, Path]) -> tuple[Path, Path]:
    for package in packages.values():
        write_partition(package, root / DATA)
    database = root / "land.duckdb"
    history = [{"ags": ags, "status": "aufgenommen"} for ags in packages]
    build_land_warehouse(root, history, database)
    published = root / "published" / "land.duckdb"
    publish_land_warehouse(database, published)
    return database, published


@pytest.fixture(scope="module")
def land(land_packages: list[Path], tmp_path_factory: pytest.TempPathFactory) -> Land:
    root = tmp_path_factory.mktemp("land")
    packages = copy_packages(land_packages, tmp_path_factory.mktemp("pakete"))
    name = read_csv(land_packages[0], "kommune")["gebiet_name"].iloc[0]
    suppressed = suppress_city_row(packages, name)
    database, published = build(root, packages)
    return Land(root, packages, database, published, suppressed, name)


def query(database: Path, sql: str) -> pd.DataFrame:
    con = duckdb.connect(str(database), read_only=True)
    try:
        return con.execute(sql).df()
    finally:
        con.close()


def parquet(root: Path, table: str, ags: str) -> str:
    path = root / DATA / table / f"ags={ags}" / "data.parquet"
    return f"read_parquet('{path}', hive_partitioning = false)"


def column_types(con: duckdb.DuckDBPyConnection, source: str) -> dict[str, str]:
    return {
        name: kind for name, kind, *_ in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
    }


def test_partitions_keep_the_keys_as_text_and_the_counts_as_integers(land: Land):
    con = duckdb.connect()
    for ags in land.packages:
        types = column_types(con, parquet(land.root, "indikatoren", ags))
        names = list(types)
        assert names[0] == "ags" and names[-1] == "paket"
        assert types["ags"] == types["gebiet_id"] == "VARCHAR"
        assert types["zaehler"] == types["nenner"] == types["jahr"] == "BIGINT"
        assert types["wert"] == "DOUBLE" and types["gesperrt"] == "BOOLEAN"
        [(stored,)] = con.execute(
            f"SELECT DISTINCT ags FROM {parquet(land.root, 'indikatoren', ags)}"
        ).fetchall()
        assert stored == ags
    first, second = list(land.packages)[:2]
    [(city,)] = con.execute(
        f"SELECT gebiet_id FROM {parquet(land.root, 'kommune', first)}"
    ).fetchall()
    assert city == first and city.startswith("0")  # NRW keys keep their leading zero
    types = column_types(con, parquet(land.root, "gebiete", first))
    assert types["gueltig_ab"] == "DATE" and types["analyseeinheit"] == "BOOLEAN"
    types = column_types(con, parquet(land.root, "datenqualitaet", second))
    assert types["eingang"] == "TIMESTAMP" and types["zeilen_gelesen"] == "BIGINT"
    types = column_types(con, parquet(land.root, "manifeste", second))
    assert types["geheimhaltungsschwelle"] == "BIGINT" and types["erstellt"] == "TIMESTAMP"


def test_partitions_hold_every_row_of_the_package(land: Land, tmp_path: Path):
    ags, package = list(land.packages.items())[1]
    rows = write_partition(package, tmp_path)
    for table in ("kommune", "gebiete", "indikatoren", "massnahmen", "datenqualitaet"):
        assert rows[table] == len(read_csv(package, table))
    manifest = query(land.database, f"SELECT * FROM pakete.manifeste WHERE ags = '{ags}'")
    name = read_csv(package, "kommune")["gebiet_name"].iloc[0]
    assert manifest["kommune"].tolist() == [name]
    assert manifest["paket"].tolist() == [package.name]


def independent_land_values(rows: pd.DataFrame) -> pd.DataFrame:
    """Σ zaehler / Σ nenner × faktor over the unsuppressed, known city rows of the most common
    definition, with the names of the municipalities left out."""
    definition = ["zaehler_definition", "nenner_definition", "faktor"]
    kinds = rows.drop_duplicates(["ags", "indikator_id"]).groupby(
        ["indikator_id", *definition], dropna=False
    ).size().rename("n").reset_index()  # fmt: skip
    common = kinds.sort_values(["indikator_id", "n"], ascending=[True, False]).drop_duplicates(
        "indikator_id"
    )
    rows = rows.merge(common[["indikator_id", *definition]], on="indikator_id", suffixes=("", "_l"))
    same = (rows[definition].values == rows[[f"{c}_l" for c in definition]].values).all(axis=1)
    included = rows[~rows["gesperrt"] & rows["zaehler"].notna() & rows["nenner"].notna() & same]
    sums = included.groupby(["jahr", "indikator_id"])[["zaehler", "nenner"]].sum()
    sums["kommunen_im_landeswert"] = included.groupby(["jahr", "indikator_id"])["ags"].nunique()
    sums = sums.join(common.set_index("indikator_id")["faktor"], on="indikator_id")
    sums["wert"] = sums["faktor"] * sums["zaehler"] / sums["nenner"]
    return sums


def wilson(x: float, n: float) -> tuple[float, float]:
    p, z2 = x / n, Z_95**2
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z_95 / (1 + z2 / n) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return centre - half, centre + half


def test_land_values_are_the_sums_over_unsuppressed_city_rows(land: Land):
    expected = independent_land_values(city_rows(land.packages))
    actual = query(land.database, "SELECT * FROM mart.indikatoren_land").set_index(
        ["jahr", "indikator_id"]
    )
    computable = actual[actual["landeswert_berechenbar"]]
    assert set(computable.index) == set(expected.index[expected["nenner"] > 0])
    joined = computable.join(expected.add_suffix("_erwartet"))
    assert (joined["zaehler"] == joined["zaehler_erwartet"]).all()
    assert (joined["nenner"] == joined["nenner_erwartet"]).all()
    assert (joined["kommunen_im_landeswert"] == joined["kommunen_im_landeswert_erwartet"]).all()
    assert joined["wert"].to_numpy() == pytest.approx(joined["wert_erwartet"].to_numpy())
    for row in joined.itertuples():
        low, high = wilson(row.zaehler, row.nenner)
        assert row.ki_unten == pytest.approx(low * row.faktor_erwartet)
        assert row.ki_oben == pytest.approx(high * row.faktor_erwartet)
    assert (actual["kommunen_gesamt"] == len(land.packages)).all()
    missing = actual["kommunen_gesamt"] - actual["kommunen_im_landeswert"]
    named = actual["fehlende_kommunen"].fillna("").map(lambda t: len(t.split(", ")) if t else 0)
    assert (named == missing).all()
    uncomputable = actual[~actual["landeswert_berechenbar"]]
    assert uncomputable["wert"].isna().all() and uncomputable["ki_unten"].isna().all()
    assert uncomputable["hinweis"].str.startswith("Nicht berechenbar").all()


def test_a_suppressed_city_row_is_left_out_and_named(land: Land):
    jahr, indikator = land.suppressed
    [row] = query(
        land.database,
        f"SELECT * FROM mart.indikatoren_land WHERE jahr = {jahr} AND indikator_id = '{indikator}'",
    ).itertuples()
    rows = city_rows(land.packages)
    others = rows[(rows["jahr"] == jahr) & (rows["indikator_id"] == indikator)]
    others = others[others["kommune"] != land.suppressed_name]
    assert row.fehlende_kommunen == land.suppressed_name
    assert row.kommunen_im_landeswert == len(land.packages) - 1
    assert row.zaehler == others["zaehler"].sum() and row.nenner == others["nenner"].sum()
    assert (
        row.hinweis
        == f"Ohne 1 von {len(land.packages)} Kommunen – gesperrt: {land.suppressed_name}."
    )
    [city] = query(
        land.database,
        "SELECT * FROM mart.indikatoren_kommunen "
        f"WHERE jahr = {jahr} AND indikator_id = '{indikator}' "
        f"AND kommune = '{land.suppressed_name}'",
    ).itertuples()
    assert city.gesperrt and pd.isna(city.wert) and pd.isna(city.rang)


def test_ranks_and_medians_follow_the_city_values(land: Land):
    rows = city_rows(land.packages)
    marts = query(land.database, "SELECT * FROM mart.indikatoren_kommunen")
    assert len(marts) == len(rows)
    merged = marts.merge(rows, on=["ags", "jahr", "indikator_id"], suffixes=("", "_csv"))
    assert len(merged) == len(rows)
    for (jahr, indikator), group in merged.groupby(["jahr", "indikator_id"]):
        values = group.dropna(subset=["wert_csv"])
        assert (group["kommunen_mit_wert"] == len(values)).all()
        if values.empty:
            continue
        assert group["median_land"].iloc[0] == pytest.approx(statistics.median(values["wert_csv"]))
        for row in group.itertuples():
            same_kind = values.loc[values["art_csv"] == row.art, "wert_csv"]
            if same_kind.empty:
                assert pd.isna(row.median_art)
            else:
                assert row.median_art == pytest.approx(statistics.median(same_kind))
            direction = row.hoeher_ist_besser_csv
            if pd.isna(row.wert_csv) or pd.isna(direction):
                assert pd.isna(row.rang), (jahr, indikator, row.ags)
                continue
            better = (
                values["wert_csv"] > row.wert_csv
                if direction
                else (values["wert_csv"] < row.wert_csv)
            )
            assert row.rang == 1 + better.sum(), (jahr, indikator, row.ags)
            assert row.abweichung_median_art == pytest.approx(row.wert_csv - row.median_art)


def test_kommunen_carry_size_and_package(land: Land):
    kommunen = query(land.database, "SELECT * FROM mart.kommunen").set_index("ags")
    assert list(kommunen.index) == sorted(land.packages)
    rows = city_rows(land.packages)
    for ags, package in land.packages.items():
        poverty = rows[(rows["ags"] == ags) & (rows["indikator_id"] == "kinderarmut_sgb2")]
        latest = poverty.dropna(subset=["nenner"]).sort_values("jahr").iloc[-1]
        assert kommunen.loc[ags, "kinder_unter_15"] == latest["nenner"]
        assert kommunen.loc[ags, "paket"] == package.name
        assert kommunen.loc[ags, "groessenklasse"] == size_class(latest["nenner"])


def size_class(children: float) -> str:
    """The size class by children under 15, as documented for mart.kommunen."""
    for upper, label in ((10_000, "unter 10.000 Kinder"),
                         (25_000, "10.000 bis unter 25.000 Kinder"),
                         (50_000, "25.000 bis unter 50.000 Kinder")):  # fmt: skip
        if children < upper:
            return label
    return "50.000 Kinder und mehr"


def test_coverage_is_a_complete_grid(land: Land):
    grid = query(land.database, "SELECT * FROM mart.abdeckung")
    rows = city_rows(land.packages)
    sources = set().union(
        *(set(read_csv(p, "indikatorkatalog")["quelle"]) for p in land.packages.values())
    )
    years = range(rows["jahr"].min(), rows["jahr"].max() + 1)
    assert len(grid) == len(land.packages) * len(sources) * len(years)
    assert not grid.duplicated(["ags", "quelle", "jahr"]).any()
    assert set(grid["quelle"]) == sources and set(grid["jahr"]) == set(years)
    delivered = rows[rows["wert"].notna() | rows["gesperrt"]]
    expected = set(zip(delivered["ags"], delivered["quelle"], delivered["jahr"], strict=True))
    actual = set(grid.loc[grid["geliefert"], ["ags", "quelle", "jahr"]].itertuples(index=False))
    assert actual == expected


def test_data_quality_and_measures_per_municipality(land: Land):
    quality = query(land.database, "SELECT * FROM mart.datenqualitaet").set_index("ags")
    measures = query(land.database, "SELECT * FROM mart.massnahmen")
    for ags, package in land.packages.items():
        files = read_csv(package, "datenqualitaet")
        values = read_csv(package, "indikatoren")
        assert quality.loc[ags, "lieferungen"] == len(files)
        assert quality.loc[ags, "zeilen_quarantaene"] == files["zeilen_quarantaene"].sum()
        assert quality.loc[ags, "gesperrte_werte"] == values["gesperrt"].sum()
        city = values[values["ebene_rang"] == 0]
        assert quality.loc[ags, "teilerhebungen"] == city["teilerhebung"].sum()
        register = read_csv(package, "massnahmen")
        mine = measures[measures["ags"] == ags].set_index("massnahme_id")
        assert sorted(mine.index) == sorted(register["massnahme_id"])
        output = read_csv(package, "massnahmen_output")
        effects = read_csv(package, "massnahmen_wirkung")
        for measure in mine.index:
            active = output[(output["massnahme_id"] == measure) & (output["ebene_rang"] == 0)]
            years = active.loc[active["aktiv"], "jahr"]
            assert mine.loc[measure, "jahre_aktiv"] == years.nunique()
            assert mine.loc[measure, "erstes_jahr"] == years.min()
            belastbar = effects[(effects["massnahme_id"] == measure)]
            assert (
                mine.loc[measure, "wirkungen_belastbar"]
                == (belastbar["bewertung"] == "belastbar").sum()
            )
    assert len(measures) > 0
    rows = city_rows(land.packages)
    for ags, own in rows.groupby("ags"):
        expected = gaps(own)
        found = quality.loc[ags, "jahre_mit_luecken"]
        assert (found if isinstance(found, str) else None) == expected, ags


def test_the_measure_type_shows_and_is_empty_for_a_package_of_format_1(land: Land, tmp_path):
    packages = copy_packages(list(land.packages.values()), tmp_path / "pakete")
    registers = {ags: read_csv(p, "massnahmen") for ags, p in packages.items()}
    older, newer = [ags for ags, register in registers.items() if len(register)][:2]
    packages[older] = as_older_format(packages[older], tmp_path / "alt" / packages[older].name, 1)
    database, _ = build(tmp_path / "land", packages)
    measures = query(database, "SELECT ags, massnahme_id, massnahmentyp FROM mart.massnahmen")
    assert measures.loc[measures["ags"] == older, "massnahmentyp"].isna().all()
    assert len(measures[measures["ags"] == older]) == len(registers[older])
    types = measures[measures["ags"] == newer].set_index("massnahme_id")["massnahmentyp"]
    delivered = registers[newer].set_index("massnahme_id")["massnahmentyp"]
    assert types.sort_index().to_dict() == delivered.sort_index().to_dict()
    assert types.notna().all()


def test_a_land_of_format_1_packages_only_has_the_columns_of_the_newest_format(
    land: Land, tmp_path
):
    packages = {
        ags: as_older_format(package, tmp_path / "alt" / package.name, 1)
        for ags, package in land.packages.items()
    }
    root = tmp_path / "land"
    for package in packages.values():
        write_partition(package, root / DATA)
    partition = parquet(root, "massnahmen", next(iter(packages)))
    assert "massnahmentyp" not in column_types(duckdb.connect(), partition)
    shutil.rmtree(root / DATA / "massnahmen_kosten")  # as a table an older format lacks
    database = root / "land.duckdb"
    build_land_warehouse(root, [], database)
    con = duckdb.connect(str(database), read_only=True)
    try:
        for table, schema in table_schemas(NEWEST_FORMAT).items():
            types = column_types(con, f"pakete.{table}")
            assert list(types) == ["ags", *schema.columns, "paket"], table
        assert column_types(con, "pakete.massnahmen")["massnahmentyp"] == "VARCHAR"
        rows = con.execute("SELECT count(*), count(massnahmentyp) FROM mart.massnahmen").fetchall()
        costs = con.execute("SELECT count(*) FROM pakete.massnahmen_kosten").fetchall()
    finally:
        con.close()
    registers = sum(len(read_csv(p, "massnahmen")) for p in packages.values())
    assert rows == [(registers, 0)] and registers > 0
    assert costs == [(0,)]
    assert "massnahmentyp" not in VERSION_1.tables["massnahmen"].columns


def gaps(rows: pd.DataFrame) -> str | None:
    """``quelle: year, year; …`` of the years between a source's first and last delivered
    year in which none of its indicators has a value or a suppressed cell."""
    delivered = rows[rows["wert"].notna() | rows["gesperrt"]]
    parts = []
    for source, years in sorted(delivered.groupby("quelle")["jahr"]):
        missing = sorted(set(range(years.min(), years.max() + 1)) - set(years))
        if missing:
            parts.append(f"{source}: {', '.join(map(str, missing))}")
    return "; ".join(parts) or None


def test_a_municipality_inside_another_is_counted_once(land: Land, tmp_path: Path):
    """A package that holds another municipality as one of its areas (a Kreis counting a town
    that reports itself) would count that town twice: the town is left out and named."""
    packages = copy_packages(list(land.packages.values()), tmp_path / "pakete")
    outer, inner = list(packages)[:2]
    inner_name = read_csv(packages[inner], "kommune")["gebiet_name"].iloc[0]
    areas = packages[outer] / "gebiete.csv"
    frame = pd.read_csv(areas, dtype=str, keep_default_na=False)
    child = frame[frame["uebergeordnet_id"] == outer].iloc[[0]].assign(gebiet_id=inner)
    pd.concat([frame, child]).to_csv(areas, index=False, lineterminator="\n")
    database, _ = build(tmp_path / "land", packages)
    rows = city_rows(packages)
    expected = independent_land_values(rows[rows["ags"] != inner])
    land_values = query(database, "SELECT * FROM mart.indikatoren_land").set_index(
        ["jahr", "indikator_id"]
    )
    assert land_values["fehlende_kommunen"].str.contains(inner_name).all()
    assert (
        land_values["hinweis"]
        .str.contains(f"im Gebiet einer anderen Kommune enthalten: {inner_name}")
        .all()
    )
    for key, row in expected.iterrows():
        assert land_values.loc[key, "zaehler"] == row["zaehler"]
        assert land_values.loc[key, "nenner"] == row["nenner"]


def test_a_differing_definition_is_left_out_and_named(land: Land, tmp_path: Path):
    packages = copy_packages(list(land.packages.values()), tmp_path / "pakete")
    before = city_rows(packages)
    poverty = before[(before["indikator_id"] == "kinderarmut_sgb2") & before["wert"].notna()]
    other = next(ags for ags in list(packages)[1:] if ags in set(poverty["ags"]))
    name = read_csv(packages[other], "kommune")["gebiet_name"].iloc[0]
    catalogue = packages[other] / "indikatorkatalog.csv"
    frame = pd.read_csv(catalogue, dtype=str, keep_default_na=False)
    frame.loc[frame["indikator_id"] == "kinderarmut_sgb2", "faktor"] = "1000.0"
    frame.to_csv(catalogue, index=False, lineterminator="\n")
    database, _ = build(tmp_path / "land", packages)
    land_values = query(
        database, "SELECT * FROM mart.indikatoren_land WHERE indikator_id = 'kinderarmut_sgb2'"
    )
    rows = city_rows(packages)
    expected = independent_land_values(rows[rows["indikator_id"] == "kinderarmut_sgb2"])
    changed = rows[(rows["ags"] == other) & (rows["indikator_id"] == "kinderarmut_sgb2")]
    assert changed["wert"].notna().any()
    for row in land_values.itertuples():
        if row.jahr in set(changed.loc[changed["wert"].notna(), "jahr"]):
            assert name in row.fehlende_kommunen
            assert f"abweichende Definition: {name}" in row.hinweis
        if row.landeswert_berechenbar:
            assert row.wert == pytest.approx(expected.loc[(row.jahr, row.indikator_id), "wert"])


def test_replacing_one_partition_changes_only_that_municipality(land: Land, tmp_path: Path):
    packages = copy_packages(list(land.packages.values()), tmp_path / "pakete")
    ags = next(iter(packages))
    name = read_csv(packages[ags], "kommune")["gebiet_name"].iloc[0]
    root = tmp_path / "land"
    database, _ = build(root, packages)
    before = {t: query(database, f"SELECT * FROM pakete.{t}") for t in ("indikatoren", "kommune")}
    others = {
        path: path.read_bytes()
        for path in (root / DATA).rglob("data.parquet")
        if f"ags={ags}" not in str(path)
    }
    newer = tmp_path / "pakete" / f"{ags}_2027-01-01_neu"
    shutil.copytree(packages[ags], newer)
    kommune = newer / "kommune.csv"
    kommune.write_text(kommune.read_text(encoding="utf-8").replace(name, f"{name} (neu)"))
    write_partition(newer, root / DATA)
    build_land_warehouse(root, [], database)
    for path, content in others.items():
        assert path.read_bytes() == content
    for table, old in before.items():
        new = query(database, f"SELECT * FROM pakete.{table}")
        kept = new["ags"] != ags
        key = [c for c in new.columns if c not in ("paket",)]
        pd.testing.assert_frame_equal(
            new[kept].sort_values(key).reset_index(drop=True),
            old[old["ags"] != ags].sort_values(key).reset_index(drop=True),
        )
        assert set(new.loc[~kept, "paket"]) == {newer.name}
    [renamed] = query(database, f"SELECT kommune FROM mart.kommunen WHERE ags = '{ags}'")["kommune"]
    assert renamed == f"{name} (neu)"


def test_packages_without_measure_types_or_statistics_give_empty_pooled_marts(
    land: Land, tmp_path: Path
):
    """Packages of format 1 name no measure type and hold no pooling statistics: the marts of
    the pooled effects are there, with every column, and empty."""
    packages = {
        ags: as_older_format(package, tmp_path / "pakete" / ags, 1)
        for ags, package in land.packages.items()
    }
    database, _ = build(tmp_path / "land", packages)
    for table, columns in TABLE_COLUMNS.items():
        frame = query(database, f"SELECT * FROM mart.{table}")
        assert list(frame.columns) == list(columns)
        assert frame.empty


def test_published_copy_is_read_only_and_opens(land: Land):
    assert land.published.stat().st_mode & 0o222 == 0
    con = duckdb.connect(str(land.published), read_only=True)
    try:
        tables = con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'mart'"
        ).fetchall()
        assert {t for (t,) in tables} == {
            "kommunen", "indikatoren_kommunen", "indikatoren_land", "datenqualitaet",
            "abdeckung", "massnahmen", "wirkung_gepoolt", "wirkung_gepoolt_verlauf",
            "wirkung_kommunen",
        }  # fmt: skip
        for (table,) in tables:
            con.execute(f"SELECT count(*) FROM mart.{table}").fetchall()
        with pytest.raises(duckdb.Error):
            con.execute("CREATE TABLE mart.x AS SELECT 1")
    finally:
        con.close()


def test_every_mart_column_has_its_german_comment(land: Land):
    docs = land_docs()
    con = duckdb.connect(str(land.published), read_only=True)
    try:
        relations = con.execute(
            "SELECT schema_name || '.' || table_name, comment FROM duckdb_tables() "
            "WHERE schema_name IN ('mart', 'meta') UNION ALL "
            "SELECT schema_name || '.' || view_name, comment FROM duckdb_views() "
            "WHERE schema_name = 'pakete'"
        ).fetchall()
        columns = con.execute(
            "SELECT schema_name || '.' || table_name, column_name, comment FROM duckdb_columns() "
            "WHERE schema_name IN ('mart', 'meta', 'pakete')"
        ).fetchall()
    finally:
        con.close()
    assert len(relations) == 9 + 1 + 13  # marts, intake log, package tables and manifests
    for relation, comment in relations:
        assert comment == docs.table(relation).description
    for relation, column, comment in columns:
        assert comment, f"{relation}.{column}"
        assert comment == docs.column(relation, column).description
        assert not ENGLISH & set(comment.lower().replace(".", " ").split()), comment
