"""The Cell Key Method: additive noise on counts, the same noise for the same cell everywhere.

As used by Destatis for the Zensus 2022 (perturbation table of the R package ``ptable``,
Giessing 2016) and by the ONS (``cell-key-perturbation``): every published count ``i`` gets
``i + v``, where ``v`` is looked up in a perturbation table (ptable) with the cell's key, a
number in [0, 1): row ``min(i, imax)`` lists the possible targets ``j`` with probabilities
``p`` and cumulative bounds ``p_int_lb`` ≤ key < ``p_int_ub``. A cell with the same key and
count always gets the same noise, so the same quantity published twice shows the same value
and differencing or averaging copies of it reveals nothing.

**The ptable** (``build_ptable``, parameters ``PTableParams``): for each original count
``i`` = 1 … ``imax`` = D + js + 1 the targets are ``max(i − D, 0)`` … ``i + D`` without
1 … js (small counts are never published: a count 1 … js moves to 0 or above js), and the
probabilities maximise the entropy subject to Σp = 1, E[j] = i (unbiased) and Var ≤ V, as
``ptable``'s standard setting (optim 1, without its monotony option). The maximum-entropy
distribution under these linear constraints is ``p ∝ exp(a·v + b·v²)`` (v = j − i, b ≤ 0);
``a`` and ``b`` are found by bisection, so E[j] = i holds to machine precision. Where no
distribution on the targets has Var ≤ V (counts 1 … js, whose targets lie at least
``js + 1 − i`` away) the variance bound is dropped for that row (b = 0). Counts above
``imax`` use the row of ``imax`` shifted: the same deviations, symmetric, Var = V. Zeros stay
zeros (row 0 is j = 0 with p = 1). ``indicators/export/ptable.csv`` is the table of the
default parameters.

**The keys** (``cell_keys``). Every record gets a uniform random key and a cell the sum of
its records' keys modulo the key range (ONS ``create_perturbed_table``: integer keys, the
sum modulo the ptable's 256 cell keys; with keys in [0, 1) the sum mod 1), so a cell made of
the same records always has the same key. kekiz holds no records, only delivered aggregate
counts, so it derives pseudo-record keys
from a secret: the records a cell has beyond its child areas' cells get one key
``HMAC-SHA256(secret, "area|year|quantity")`` read as a number in [0, 1) (on the finest
level that is the whole cell). An area's key is the sum mod 1 of its children's keys plus
that own key when its count differs from the sum of its children's counts (records in no
child, or a child unknown). So a parent with a single non-zero child, or a quantity
published in two tables, gets the child's key and the same noise, as with real record
keys; a zero cell adds nothing. The quantity names what is counted independently of the
table (e.g. the denominator fields of a source, shared by several indicators). Without the
secret the keys cannot be recomputed; it is never exported, the package states the
parameters and the sha256 of the ptable.
"""

import hashlib
import hmac
import math
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import brentq

from indicators.export.threshold import CELL_KEY

PTABLE_COLUMNS = ["i", "j", "p", "p_int_lb", "p_int_ub"]
PTABLE_FILE = Path(__file__).with_name("ptable.csv")
DEFAULT_D = 5
DEFAULT_V = 3.0
KEY_COLUMNS = ["area", "year", "quantity"]
_STEEP = 50.0
"""Bracket of the exponents' coefficients: exp(−50) is negligible beside 1."""


@dataclass(frozen=True)
class PTableParams:
    D: int = DEFAULT_D
    """Largest deviation."""
    V: float = DEFAULT_V
    """Variance of the noise (bound)."""
    js: int = 4
    """Counts 1 … js are never published (D > js: a count js + 1 can move down to 0)."""

    def __post_init__(self) -> None:
        if self.js < 0 or self.js >= self.D or self.V <= 0:
            raise ValueError("Cell-Key-Parameter: verlangt js ≥ 0, D > js und V > 0.")

    @property
    def imax(self) -> int:
        return self.D + self.js + 1


def build_ptable(params: PTableParams) -> pd.DataFrame:
    """The perturbation table, columns ``PTABLE_COLUMNS``, rows i = 0 … imax, j ascending."""
    rows = [pd.DataFrame({"i": [0], "j": [0], "p": [1.0]})]
    for i in range(1, params.imax + 1):
        j = np.array([t for t in range(max(i - params.D, 0), i + params.D + 1)
                      if not 1 <= t <= params.js])  # fmt: skip
        rows.append(pd.DataFrame({"i": i, "j": j, "p": _max_entropy(j - i, params.V)}))
    table = pd.concat(rows, ignore_index=True)
    table["p_int_ub"] = table.groupby("i")["p"].cumsum()
    table["p_int_lb"] = table["p_int_ub"] - table["p"]
    return table[PTABLE_COLUMNS]


def _max_entropy(v: np.ndarray, variance: float) -> np.ndarray:
    """The maximum-entropy distribution on deviations ``v`` with mean 0 and variance ≤
    ``variance`` (the bound dropped when no distribution meets it)."""
    v = v.astype(float)

    def weights(a: float, b: float) -> np.ndarray:
        log = a * v + b * v * v
        w = np.exp(log - log.max())
        return w / w.sum()

    def centred(b: float) -> np.ndarray:
        bound = _STEEP + 2 * abs(b) * abs(v).max()
        return weights(brentq(lambda a: weights(a, b) @ v, -bound, bound, xtol=1e-15), b)

    def var(b: float) -> float:
        return float(centred(b) @ (v * v))

    steepest = -_STEEP
    if var(0.0) <= variance or var(steepest) > variance:
        return centred(0.0)
    return centred(brentq(lambda b: var(b) - variance, steepest, 0.0, xtol=1e-15))


def ptable_csv(table: pd.DataFrame) -> str:
    """The table as CSV, floats with 17 significant digits (read back unchanged)."""
    return table.to_csv(index=False, float_format="%.17g", lineterminator="\n")


def ptable_sha256(table: pd.DataFrame) -> str:
    return hashlib.sha256(ptable_csv(table).encode()).hexdigest()


def uniform_key(secret: bytes, area: object, year: object, quantity: str) -> float:
    """A number in [0, 1) from HMAC-SHA256 of the cell's identity."""
    digest = hmac.new(secret, f"{area}|{year}|{quantity}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def cell_keys(cells: pd.DataFrame, parent_of: Mapping[str, str], secret: bytes) -> pd.Series:
    """The key of each cell (columns area, year, quantity, count; same index).

    Cells with the same area, year and quantity get one key (that of the first). A cell's
    children are the cells of the same year and quantity in the areas whose parent it is.
    """
    unique = cells.drop_duplicates(KEY_COLUMNS)
    depth = {a: _depth(a, parent_of) for a in unique["area"]}
    count = {(r.area, r.year, r.quantity): r.count for r in unique.itertuples()}
    below: dict[tuple, list[float]] = {}  # sum of the children's keys and counts
    keys: dict[tuple, float] = {}
    for cell in sorted(count, key=lambda c: -depth[c[0]]):
        area, year, quantity = cell
        child_keys, child_count = below.get(cell, (0.0, 0))
        rest = count[cell] - child_count if not pd.isna(count[cell]) else math.nan
        key = child_keys + (uniform_key(secret, *cell) if rest != 0 else 0.0)
        keys[cell] = key % 1.0
        parent = (parent_of.get(area), year, quantity)
        if parent in count:
            total = below.setdefault(parent, [0.0, 0])
            total[0] += keys[cell]
            total[1] += count[cell] if not pd.isna(count[cell]) else math.nan
    index = pd.MultiIndex.from_frame(cells[KEY_COLUMNS])
    return pd.Series([keys[c] for c in index], index=cells.index, dtype=float)


def _depth(area: str, parent_of: Mapping[str, str]) -> int:
    depth = 0
    while (area := parent_of.get(area)) is not None and depth < len(parent_of):
        depth += 1
    return depth


def perturb(counts: pd.Series, keys: pd.Series, table: pd.DataFrame) -> pd.Series:
    """The perturbed counts (``Int64``; unknown counts stay unknown)."""
    imax = int(table["i"].max())
    rows = {i: (g["j"].to_numpy() - i, g["p_int_ub"].to_numpy()) for i, g in table.groupby("i")}
    out = []
    for count, key in zip(counts, keys, strict=True):
        if pd.isna(count):
            out.append(pd.NA)
            continue
        shift, upper = rows[min(int(count), imax)]
        at = min(int(np.searchsorted(upper, key, side="right")), len(upper) - 1)
        out.append(int(count) + int(shift[at]))
    return pd.Series(out, index=counts.index, dtype="Int64")


@dataclass(frozen=True)
class CellKeyMethod:
    """The Cell Key Method with its secret and ptable parameters."""

    secret: bytes
    params: PTableParams

    @classmethod
    def for_threshold(cls, secret: bytes, threshold: int) -> "CellKeyMethod":
        """js = threshold − 1: no count below the disclosure threshold is published; D at least
        js + 1, so that every count can move down as well as up."""
        js = threshold - 1
        return cls(secret, PTableParams(D=max(DEFAULT_D, js + 1), V=DEFAULT_V, js=js))

    @cached_property
    def ptable(self) -> pd.DataFrame:
        return build_ptable(self.params)

    def description(self) -> dict:
        """What the manifest states: method, parameters and ptable hash, never the secret."""
        return {
            "verfahren": CELL_KEY,
            "D": self.params.D,
            "V": self.params.V,
            "js": self.params.js,
            "ptable_sha256": ptable_sha256(self.ptable),
        }


def read_secret(path: Path) -> bytes:
    """The secret of the cell keys in ``path``; created (random, readable by the owner only)
    when missing. The same file must be used for every publication, or the noise changes."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # written meanwhile by another process
            pass
        else:
            with os.fdopen(handle, "w") as out:
                out.write(secrets.token_hex(32) + "\n")
    return path.read_bytes().strip()


def chosen_method(method: str, secret_file: Path, threshold: int) -> CellKeyMethod | None:
    """The Cell Key Method when ``method`` is ``cell-key`` (secret in ``secret_file``), else
    None (suppression)."""
    if method != CELL_KEY:
        return None
    return CellKeyMethod.for_threshold(read_secret(secret_file), threshold)
