"""Malformed deliveries of every source through the loader: nothing escapes as an exception,
every row read is staged or quarantined, and a file is either loaded or rejected with a reason.

The variants are seeded mutations of small valid deliveries cut from the bundled sample:
bytes flipped or deleted, quotes and separators inserted, lines duplicated or cut, fields
replaced by hostile values, other encodings. A rejection for a reason that no rule foresaw
fails the test: each such case needs its own German message.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random

import duckdb
import openpyxl
import pytest

from conftest import CATALOGUE, SAMPLE
from indicators.ingest import delivery
from indicators.ingest.delivery import UNFORESEEN, delivered_files
from indicators.ingest.reader import CHUNK_ROWS
from indicators.store.loading import stage_deliveries
from indicators.store.schema import ensure_schema
from schemas.registry import SOURCES

VARIANTS = 200
BASE_ROWS = 6
SEED = 20_241_202
HOSTILE = [
    "100000000000000000000", "-5", "1e300", "NaN", "inf", ".", "-", "", "x" * 12_000,
    "=HYPERLINK(\"http://x\",\"klick\")", "@SUM(1)", "31.02.2020", "2015/16", "1.234,5",
    "1,234.5", "\x00", "\u202e", "Ä€😀", '"', '""', ";", "\t", "ja", "nein", "0000", "2099",
    "00.00.0000", "../../etc/passwd", "<script>alert(1)</script>",
]  # fmt: skip
TYPED_HOSTILE = [
    1e300, 1e19, -1.5, 0.5, float("nan"), True, dt.datetime(2020, 2, 29), dt.date(1900, 1, 1),
    "=SUM(1,2)", "#DIV/0!", "#NV", 10**20, None, "x" * 12_000,
]  # fmt: skip


def base_rows(source: str) -> list[list[str]]:
    """Header and the first rows of the sample delivery of ``source``, as text cells."""
    path = delivered_files(SAMPLE / source)[0]
    if path.suffix == ".xlsx":
        sheet = openpyxl.load_workbook(path, read_only=True, data_only=True).active
        rows = [["" if v is None else str(v) for v in row] for row in sheet.values]
        start = next(i for i, row in enumerate(rows) if sum(bool(c) for c in row) > 3)
        rows = rows[start:]
    else:
        data = path.read_bytes()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1252")
        rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    return [row for row in rows if any(row)][: BASE_ROWS + 1]


def as_csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(rows)
    return out.getvalue()


def as_xlsx(rng: random.Random, rows: list[list[str]]) -> bytes:
    """The rows as a workbook, some cells replaced by hostile typed values."""
    workbook = openpyxl.Workbook()
    for number, row in enumerate(rows):
        cells: list[object] = list(row)
        if number and rng.random() < 0.7:
            cells[rng.randrange(len(cells))] = rng.choice(TYPED_HOSTILE)
        workbook.active.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def variant(rng: random.Random, rows: list[list[str]]) -> tuple[bytes, str]:
    """One malformed delivery and its file ending."""
    rows = [list(row) for row in rows]
    kind = rng.randrange(11)
    if kind == 10:
        return as_xlsx(rng, rows), ".xlsx"
    if kind == 0:  # hostile values in random cells
        for _ in range(rng.randint(1, 4)):
            row = rng.choice(rows[1:])
            row[rng.randrange(len(row))] = rng.choice(HOSTILE)
    elif kind == 1:  # a line twice, or missing
        index = rng.randrange(1, len(rows))
        rows.insert(index, rows[index]) if rng.random() < 0.5 else rows.pop(index)
    elif kind == 2:  # cells shifted: one removed or added
        row = rng.choice(rows)
        row.pop(rng.randrange(len(row))) if rng.random() < 0.5 else row.append("überzählig")
    elif kind == 3:  # header cell renamed or emptied
        rows[0][rng.randrange(len(rows[0]))] = rng.choice(["", "Unbekannt", rows[0][0]])
    text = as_csv(rows)
    data = bytearray(text.encode(rng.choice(["utf-8", "utf-8", "cp1252", "utf-16"])
                                 if kind == 4 else "utf-8", errors="replace"))  # fmt: skip
    if kind == 5:  # random bytes flipped
        for _ in range(rng.randint(1, 5)):
            data[rng.randrange(len(data))] = rng.randrange(256)
    elif kind == 6:  # a stretch deleted
        start = rng.randrange(len(data))
        del data[start : start + rng.randint(1, 80)]
    elif kind == 7:  # a quote, separator or line break inserted
        position = rng.randrange(len(data))
        data[position:position] = rng.choice([b'"', b";", b"\n", b"\r", b",", b'";"'])
    elif kind == 8:  # cut off
        data = data[: rng.randrange(1, len(data))]
    elif kind == 9:  # empty lines and a title row
        data = b"Titel der Lieferung\r\n\r\n" + bytes(data) + b"\r\n\r\n"
    return bytes(data), ".csv"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    """A warehouse with the sample's areas and measure register staged."""
    folder = tmp_path_factory.mktemp("fuzz")
    con = duckdb.connect(str(folder / "wh.duckdb"))
    ensure_schema(con, CATALOGUE)
    for source in ("gebiete", "massnahmen"):
        files = delivered_files(SAMPLE / source)
        stage_deliveries(con, source, files, folder / "archiv", CATALOGUE.by_id(), "basis")
    yield con, folder
    con.close()


@pytest.mark.parametrize(("chunk_rows", "variants"), [(CHUNK_ROWS, VARIANTS), (2, VARIANTS // 2)],
                         ids=["ganze_datei", "in_teilen"])  # fmt: skip
@pytest.mark.parametrize("source", list(SOURCES))
def test_malformed_deliveries_are_loaded_or_rejected_never_lost(
    warehouse, source, chunk_rows, variants, monkeypatch
):
    con, folder = warehouse
    monkeypatch.setattr(delivery, "CHUNK_ROWS", chunk_rows)
    rng = random.Random(f"{SEED}-{source}-{chunk_rows}")
    base = base_rows(source)
    outcomes = {"geladen": 0, "abgelehnt": 0, "bereits geladen": 0}
    for number in range(variants):
        data, ending = variant(rng, base)
        path = folder / source / f"variante_{chunk_rows}_{number:03d}{ending}"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(data)
        [loaded] = stage_deliveries(
            con, source, [path], folder / "archiv", CATALOGUE.by_id(), f"fuzz-{number}"
        )
        if loaded.check is None:
            outcomes["bereits geladen"] += 1
            continue
        check = loaded.check
        if check.rejection is not None:
            assert check.rejection.startswith(f"Datei {path.name}: ")
            assert UNFORESEEN not in check.rejection, check.rejection
            outcomes["abgelehnt"] += 1
        else:
            assert check.rows_read == check.rows_staged + check.rows_quarantined
            outcomes["geladen"] += 1
        [(status, read, staged, quarantined)] = con.execute(
            "SELECT status, rows_read, rows_staged, rows_quarantined FROM raw.deliveries "
            "WHERE source = ? AND sha256 = ?",
            [source, loaded.sha256],
        ).fetchall()
        assert (status, read, staged, quarantined) == (
            check.status, check.rows_read, check.rows_staged, check.rows_quarantined
        )  # fmt: skip
    # both outcomes occur (a column missing from the header is no rejection: only the key
    # fields are required)
    assert outcomes["geladen"] > variants // 4 and outcomes["abgelehnt"] > variants // 20
