"""Keys for reusing an effect estimate: a hash of everything the estimate of one measure ×
outcome depends on, so an unchanged pair is read back instead of estimated again.

The key covers the panel (the outcome's quarter values, denominators and partial-survey flags
per area and year, and the adoption year of each area), the link (expected direction, lag),
every estimation option (weighting, replications, permutations, seed, leads: the random draws
depend on the seed and the counts only) and the code: the source files of this package and of
the German number formatting used in the texts, plus the versions of numpy, scipy and pandas.
Editing any estimator file therefore invalidates every stored estimate without anyone having
to remember a version constant.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict
from functools import cache
from importlib.metadata import version
from pathlib import Path

import pandas as pd

from indicators.display import german

CODE_FILES = (*sorted(Path(__file__).parent.glob("*.py")), Path(german.__file__))
"""The sources whose text is part of every key."""
LIBRARIES = ("numpy", "scipy", "pandas")
LINK_FIELDS = ("massnahme_id", "indikator_id", "richtung", "verzoegerung_jahre")
"""The link columns the estimate reads (the staging lineage columns change with every load)."""
OUTCOME_FIELDS = ("gebiet_id", "jahr", "wert", "nenner", "teilerhebung")
"""The outcome columns the panel is built from, sorted by area and year before hashing."""


@cache
def code_version() -> str:
    """Hash of the estimator sources and the numeric libraries' versions."""
    digest = hashlib.sha256()
    for path in CODE_FILES:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    for library in LIBRARIES:
        digest.update(f"{library}={version(library)}".encode())
    return digest.hexdigest()


def estimate_key(link: pd.Series, outcome: pd.DataFrame, starts: pd.Series, options) -> str:
    """The key of one measure × outcome estimate (``options``: ``EffectOptions``)."""
    digest = hashlib.sha256(code_version().encode())
    digest.update(repr([(f, _plain(link[f])) for f in LINK_FIELDS]).encode())
    digest.update(repr(sorted(asdict(options).items())).encode())
    rows = outcome[list(OUTCOME_FIELDS)].sort_values(["gebiet_id", "jahr"], kind="stable")
    digest.update(rows.to_csv(index=False, na_rep="<NA>").encode())
    adoption = starts.sort_index()
    digest.update(pd.DataFrame({"gebiet_id": adoption.index, "beginn": adoption.to_numpy()})
                  .to_csv(index=False, na_rep="<NA>").encode())  # fmt: skip
    return digest.hexdigest()


def _plain(value) -> object:
    """A scalar as a plain Python value (a pandas Int64 and a numpy int hash alike)."""
    return None if pd.isna(value) else value.item() if hasattr(value, "item") else value
