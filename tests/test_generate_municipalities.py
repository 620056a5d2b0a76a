"""The synthetic municipalities: byte-identical on every run, of the shapes their profiles and
READMEs describe, every row valid except the one planted.

The generated files are read here as an office's files would be read by the specification of
profiles and mappings (header over several rows, long layout, symbols, sums), independently of
the generator's own numbers.
"""

from __future__ import annotations

import csv
import datetime as dt
import filecmp
import io
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import yaml

from pipelines.settings import PROJECT_ROOT
from schemas.fields import field_kind
from schemas.registry import SOURCES

NAMES = ("grossstadt", "zweiebenen", "kreis")
DEFAULT_MAPPINGS = PROJECT_ROOT / "raw_data" / "mappings"
CHECKED_SOURCES = ("sozialstrukturatlas", "schuleingang", "kindertagesbetreuung")
"""The delivered sources with counts and row rules."""
TEXT_FIELDS = {"gebiet_id", "gebiet_name"}


def generate(folder: Path, *args: str) -> None:
    # a fresh process: openpyxl chooses its XML writer once, when it is first imported
    subprocess.run(
        [sys.executable, "-m", "raw_data.generate_municipalities", "--out", str(folder), *args],
        cwd=PROJECT_ROOT,
        check=True,
        capture_output=True,
    )


def files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("kommunen")
    generate(folder)
    return folder


# --- reading the files as the specification describes -----------------------------------------


def profile(folder: Path) -> dict:
    return yaml.safe_load((folder / "kommune.yaml").read_text(encoding="utf-8"))


def mapping(folder: Path, source: str) -> dict:
    own = folder / "mappings" / f"{source}.yaml"
    path = own if own.exists() else DEFAULT_MAPPINGS / f"{source}.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def norm(title: object) -> str:
    return " ".join(str("" if title is None else title).split()).casefold()


def raw_rows(path: Path) -> list[list]:
    if path.suffix == ".xlsx":
        sheet = openpyxl.load_workbook(path, data_only=True).worksheets[0]
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("cp1252")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


def header_titles(rows: list[list], n: int) -> list[str]:
    """Non-empty cells of each column joined top to bottom; an empty upper cell takes the value
    of the nearest filled cell to its left."""
    layers = []
    for k, row in enumerate(rows):
        cells = [None if c is None or str(c).strip() == "" else str(c).strip() for c in row]
        if k < n - 1:
            last, filled = None, []
            for cell in cells:
                last = cell if cell is not None else last
                filled.append(last)
            cells = filled
        layers.append(cells)
    width = max(len(layer) for layer in layers)
    return [" ".join(x[i] for x in layers if i < len(x) and x[i]) for i in range(width)]


def number(field: str, value: object, symbols: dict) -> object:
    if field in TEXT_FIELDS:
        return None if value is None else str(value).strip()
    if field == "jahr":
        return int(re.search(r"\d{4}", str(value)).group())
    if value is None or str(value).strip() == "":
        return None
    if isinstance(value, int | float):
        return value
    text = str(value).strip()
    if text in symbols.get("unknown", ["."]):
        return None
    if text in symbols.get("zero", ["-"]):
        return 0
    if field == "flaeche_km2":
        return float(text.replace(".", "").replace(",", "."))
    return int(text.replace(".", ""))


def read_source(folder: Path, source: str) -> list[dict]:
    """Rows of every delivered file: canonical field -> value, plus _file and _line; rows of
    drop and total rules left out; long layout combined into one row per area and file."""
    m = mapping(folder, source)
    by_title = {norm(t): name for name, titles in m["columns"].items() for t in titles}
    n = (m.get("file") or {}).get("header_rows", 1)
    long = m.get("layout") == "long"
    symbols = m.get("symbols") or {}
    drops = list((m.get("rows") or {}).get("drop", []))
    drops += [m["total_rows"]] if m.get("total_rows") else []
    rows = []
    for path in sorted((folder / source).iterdir()):
        cells = raw_rows(path)
        starts = range(min(10, len(cells) - n + 1))
        start = max(starts, key=lambda s: sum(norm(t) in by_title for t in header_titles(
            cells[s : s + n], n)))  # fmt: skip
        titles = header_titles(cells[start : start + n], n)
        if long:
            titles = [
                "_variable"
                if norm(t) in map(norm, m["long"]["variable_column"])
                else "_value"
                if norm(t) in map(norm, m["long"]["value_column"])
                else by_title.get(norm(t), t)
                for t in titles
            ]
        else:
            titles = [by_title.get(norm(t), t) for t in titles]
        for offset, cells_of_row in enumerate(cells[start + n :]):
            if all(c is None or str(c).strip() == "" for c in cells_of_row):
                continue
            row = dict(zip(titles, cells_of_row, strict=False))
            row["_file"], row["_line"] = path.name, start + n + offset + 1
            rows.append(row)
    if long:
        rows = combine_long(rows, m, by_title)
    out = []
    for row in rows:
        if any(str(row.get(d["column"]) or "") in d["values"] for d in drops):
            continue
        parsed = {k: number(k, v, symbols) for k, v in row.items() if k in {*m["columns"], "jahr"}}
        for k, v in row.items():
            if k in (m.get("sums") or {}) or k.startswith("_"):
                parsed[k] = v
        out.append(parsed)
    return out


def combine_long(rows: list[dict], m: dict, by_title: dict) -> list[dict]:
    symbols = m.get("symbols") or {}
    sums = m.get("sums") or {}
    part_of = {norm(p): name for name, parts in sums.items() for p in parts}
    pattern = re.compile(m["year"]["from_file_name"])
    combined: dict[tuple, dict] = {}
    for row in rows:
        key = (row["_file"], row["gebiet_id"])
        wide = combined.setdefault(key, {
            "gebiet_id": row["gebiet_id"], "gebiet_name": row["gebiet_name"],
            "jahr": pattern.search(row["_file"]).group(1), "_file": row["_file"], "_parts": {},
        })  # fmt: skip
        label = norm(row["_variable"])
        if label in part_of:
            wide["_parts"][row["_variable"]] = number("count", row["_value"], symbols)
        else:
            wide[by_title[label]] = row["_value"]
    for wide in combined.values():
        for name, parts in sums.items():
            values = [wide["_parts"][p] for p in parts]
            wide[name] = None if None in values else sum(values)
    return list(combined.values())


def invalid(source: str, rows: list[dict]) -> list[dict]:
    """Rows breaking a row rule of the source or holding a negative count."""
    schema = SOURCES[source]
    counts = [c for c, col in schema.columns().items() if field_kind(col) == "count"]
    df = pd.DataFrame(
        [{k: v for k, v in r.items() if k not in TEXT_FIELDS and not k.startswith("_")}
         for r in rows]
    ).astype("float")  # fmt: skip
    ok = pd.Series(True, index=df.index)
    for rule in schema.rules:
        ok &= rule.holds(df)
    ok &= (df[[c for c in counts if c in df.columns]].fillna(0) >= 0).all(axis=1)
    return [rows[i] for i in df.index[~ok]]


def areas(folder: Path) -> pd.DataFrame:
    m = mapping(folder, "gebiete")
    rows = []
    for path in sorted((folder / "gebiete").iterdir()):
        cells = raw_rows(path)
        titles = {norm(t): name for name, ts in m["columns"].items() for t in ts}
        header = [titles.get(norm(t), t) for t in cells[0]]
        rows += [dict(zip(header, r, strict=True)) for r in cells[1:]]
    df = pd.DataFrame(rows).set_index("gebiet_id", drop=False)
    for column in ("gueltig_ab", "gueltig_bis"):
        df[column] = pd.to_datetime(df[column].replace("", None), format="%d.%m.%Y")
    return df


def section(readme: str, heading: str, lines: bool = False) -> str:
    """The text under a heading, its whitespace collapsed unless ``lines`` are wanted."""
    text = readme.split(f"## {heading}", 1)[1].split("\n## ", 1)[0]
    return text if lines else " ".join(text.split())


# --- tests -------------------------------------------------------------------------------------


def test_two_runs_write_byte_identical_files(out, tmp_path):
    generate(tmp_path)
    assert files(tmp_path) == files(out)
    _, mismatch, errors = filecmp.cmpfiles(tmp_path, out, files(out), shallow=False)
    assert mismatch == [] and errors == []


def test_only_writes_that_municipality_as_the_full_run_does(out, tmp_path):
    generate(tmp_path, "--only", "zweiebenen")
    assert [p.name for p in tmp_path.iterdir()] == ["zweiebenen"]
    expected = files(out / "zweiebenen")
    assert files(tmp_path / "zweiebenen") == expected
    _, mismatch, _ = filecmp.cmpfiles(tmp_path / "zweiebenen", out / "zweiebenen", expected,
                                      shallow=False)  # fmt: skip
    assert mismatch == []


def test_output_is_small_and_says_it_is_synthetic(out):
    assert sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) < 5_000_000
    assert sorted(p.name for p in out.iterdir()) == sorted(NAMES)
    for name in NAMES:
        assert "SYNTHETISCH" in (out / name / "README.md").read_text(encoding="utf-8")
        assert areas(out / name)["datenherkunft"].str.contains("synthetisch").all()


@pytest.mark.parametrize(
    ("name", "art", "depth", "finest_range"),
    [
        ("grossstadt", "kreisfreie Stadt", 5, (130, 180)),
        ("zweiebenen", "kreisangehörige Stadt", 2, (35, 45)),
        ("kreis", "Kreis", 3, (55, 65)),
    ],
)
def test_profile_and_area_reference_have_the_shape(out, name, art, depth, finest_range):
    folder = out / name
    kommune = profile(folder)
    levels = kommune["ebenen"]
    assert kommune["art"] == art and len(levels) == depth
    assert len(kommune["ags"]) == (5 if art == "Kreis" else 8) and kommune["ags"].isdigit()
    ref = areas(folder)
    top = ref[ref["ebene"] == levels[0]]
    assert list(top["gebiet_id"]) == [kommune["ags"]] and top["uebergeordnet_id"].iloc[0] == ""
    rank = {level: i for i, level in enumerate(levels)}
    assert set(ref["ebene"]) == set(levels)
    for _, row in ref[ref["ebene"] != levels[0]].iterrows():
        assert rank[ref.loc[row["uebergeordnet_id"], "ebene"]] == rank[row["ebene"]] - 1
    finest = ref[(ref["ebene"] == levels[-1]) & ref["gueltig_bis"].isna()]
    assert finest_range[0] <= len(finest) <= finest_range[1]
    delivered = {p.name for p in folder.iterdir() if p.is_dir()} - {"mappings"}
    assert set(kommune["quellen"]) == delivered
    for path in (folder / "mappings").glob("*.yaml"):
        assert path.stem in delivered
        assert mapping(folder, path.stem) != yaml.safe_load(
            (DEFAULT_MAPPINGS / path.name).read_text(encoding="utf-8")
        )


@pytest.mark.parametrize("name", NAMES)
def test_every_row_is_valid_except_the_planted_one_the_readme_names(out, name):
    folder = out / name
    kommune, ref = profile(folder), areas(folder)
    finest = set(ref.index[ref["ebene"] == kommune["ebenen"][-1]])
    bad = []
    for source in (s for s in CHECKED_SOURCES if s in kommune["quellen"]):
        rows = read_source(folder, source)
        assert rows and all(r["gebiet_id"] in ref.index for r in rows)
        bad += [(source, r) for r in invalid(source, rows)]
        day = kommune["quellen"][source].get("stichtag")
        month, dom = (
            (int(day.split(".")[1]), int(day.split(".")[0]))
            if day
            else SOURCES[source].reference_day
        )
        for r in (r for r in rows if r["gebiet_id"] in finest):
            date = pd.Timestamp(dt.date(r["jahr"], month, dom))
            area = ref.loc[r["gebiet_id"]]
            assert area["gueltig_ab"] <= date, (source, r["gebiet_id"], r["jahr"])
            assert pd.isna(area["gueltig_bis"]) or date <= area["gueltig_bis"]
    assert len(bad) == 1
    source, row = bad[0]
    planted = section((folder / "README.md").read_text(encoding="utf-8"),
                      "Eingepflanzte ungültige Zeile")  # fmt: skip
    assert f"{source}/{row['_file']}" in planted
    assert f"`{row['gebiet_id']}`" in planted and str(row["jahr"]) in planted
    if "_line" in row:
        assert f"Zeile {row['_line']}," in planted


def test_grossstadt_aggregate_rows_are_sums_except_the_documented_gap(out):
    folder = out / "grossstadt"
    kommune, ref = profile(folder), areas(folder)
    parent = ref["uebergeordnet_id"].to_dict()
    rows = read_source(folder, "sozialstrukturatlas")
    levels = dict(ref["ebene"])
    assert {levels[r["gebiet_id"]] for r in rows} == {"Stadt", "Bezirk", "Planungsraum"}
    finest = [r for r in rows if levels[r["gebiet_id"]] == kommune["ebenen"][-1]]
    fields = [k for k in mapping(folder, "sozialstrukturatlas")["columns"]
              if k not in TEXT_FIELDS | {"jahr", "flaeche_km2"}]  # fmt: skip

    def ancestors(area: str):
        while area:
            yield area
            area = parent[area]

    sums: dict[tuple, dict] = defaultdict(lambda: defaultdict(int))
    unknown: set[tuple] = set()
    for r in finest:
        for area in ancestors(parent[r["gebiet_id"]]):
            for f in fields:
                if r[f] is None:
                    unknown.add((area, r["jahr"], f))
                else:
                    sums[area, r["jahr"]][f] += r[f]
    aggregates = [r for r in rows if r not in finest]
    bezirke = set(ref.index[ref["ebene"] == "Bezirk"])
    years = {r["jahr"] for r in rows}
    assert {(r["gebiet_id"], r["jahr"]) for r in aggregates} == {
        (a, y) for a in bezirke | {kommune["ags"]} for y in years
    }
    gaps = {}
    for r in aggregates:
        for f in fields:
            key = (r["gebiet_id"], r["jahr"], f)
            if key in unknown:
                assert r[f] is None, key
            elif r[f] != sums[r["gebiet_id"], r["jahr"]][f]:
                gaps[key] = r[f] - sums[r["gebiet_id"], r["jahr"]][f]
    assert len({(a, y) for a, y, _ in gaps}) == 1
    (bezirk, year, _), *_ = gaps
    assert bezirk in bezirke and year == 2021
    assert gaps[bezirk, year, "einwohner"] == 120 and gaps[bezirk, year, "arbeitslose"] == 9
    text = section((folder / "README.md").read_text(encoding="utf-8"), "Summenzeilen", True)
    assert f"Bezirk `{bezirk}`" in text and f"Jahr {year}," in " ".join(text.split())
    documented = {
        line.split("|")[1].strip(" `"): int(line.split("|")[4])
        for line in text.splitlines()
        if line.startswith("| `")
    }
    assert documented == {f: d for (_, _, f), d in gaps.items()}


def test_zweiebenen_long_format_parts_make_up_the_working_age(out):
    folder = out / "zweiebenen"
    kommune = profile(folder)
    assert kommune["quellen"]["sozialstrukturatlas"] == {"stichtag": "30.06."}
    assert not list(folder.glob("massnahmen*")) and "massnahmen" not in kommune["quellen"]
    m = mapping(folder, "sozialstrukturatlas")
    assert m["layout"] == "long" and len(m["sums"]["einwohner_18_64"]) == 3
    rows = read_source(folder, "sozialstrukturatlas")
    assert sorted({r["jahr"] for r in rows}) == list(range(2016, 2024))
    other_bands = ("einwohner_0_2", "einwohner_3_5", "einwohner_6_9", "einwohner_10_14",
                   "einwohner_15_17", "einwohner_65_plus")  # fmt: skip
    checked = 0
    for r in rows:
        parts = list(r["_parts"].values())
        if None in parts or any(r[b] is None for b in other_bands) or r["einwohner"] is None:
            continue
        intended = r["einwohner"] - sum(r[b] for b in other_bands)
        assert sum(parts) == intended == r["einwohner_18_64"], (r["gebiet_id"], r["jahr"])
        assert all(p >= 0 for p in parts)
        checked += 1
    assert checked >= 0.95 * len(rows)
    texts = [c[3] for path in (folder / "sozialstrukturatlas").iterdir()
             for c in raw_rows(path)[1:]]  # fmt: skip
    assert m["symbols"]["zero"][0] in texts and m["symbols"]["unknown"][0] in texts


def test_kreis_atlas_has_a_two_row_header_a_subset_of_fields_and_a_split_ortsteil(out):
    folder = out / "kreis"
    m = mapping(folder, "sozialstrukturatlas")
    assert m["file"]["header_rows"] == 2
    fields = set(m["columns"])
    assert {"einwohner", "sgb2_kinder_u15", "arbeitslose", "nichtdeutsche"} <= fields
    assert not fields & {"haushalte", "grundsicherung_alter", "migrationshintergrund"}
    for path in (folder / "sozialstrukturatlas").iterdir():
        sheet = openpyxl.load_workbook(path).worksheets[0]
        assert any(r.min_col < r.max_col for r in sheet.merged_cells.ranges)
        upper = [c.value for c in sheet[3]]
        assert upper.count(None) > len(upper) / 2  # group titles only over their first column
    rows = read_source(folder, "sozialstrukturatlas")
    assert all(set(m["columns"]) <= set(r) for r in rows)
    ref = areas(folder)
    ended = ref[ref["gueltig_bis"].notna()]
    started = ref[ref["gueltig_ab"] > pd.Timestamp("2000-01-01")]
    assert len(ended) == 1 and len(started) == 2
    assert ended["gueltig_bis"].iloc[0] == pd.Timestamp("2020-12-31")
    assert (started["gueltig_ab"] == pd.Timestamp("2021-01-01")).all()
    assert set(started["uebergeordnet_id"]) == set(ended["uebergeordnet_id"])
    for source in ("sozialstrukturatlas", "kindertagesbetreuung"):
        years_of = defaultdict(set)
        for r in read_source(folder, source):
            years_of[r["gebiet_id"]].add(r["jahr"])
        assert max(years_of[ended.index[0]]) == 2020
        assert all(min(years_of[a]) == 2021 for a in started.index)
