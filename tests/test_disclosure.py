"""Disclosure control: primary and secondary suppression, and an attacker who tries to undo it."""

import numpy as np
import pandas as pd
import pytest

from indicators.export.disclosure import primary, suppress_counts

# Stadt S → Stadtbezirke B1, B2 → Sozialräume R11, R12, R21 → quarters
PARENT_OF = {
    "B1": "S", "B2": "S",
    "R11": "B1", "R12": "B1", "R21": "B2",
    "Q111": "R11", "Q112": "R11", "Q113": "R11",
    "Q121": "R12", "Q122": "R12",
    "Q211": "R21", "Q212": "R21", "Q213": "R21",
}  # fmt: skip
QUARTERS = [a for a in PARENT_OF if a.startswith("Q")]


def tree_frame(quarter_counts: dict[str, int], group: str = "g") -> pd.DataFrame:
    """Counts of the quarters summed up the hierarchy, one row per area."""
    totals = dict(quarter_counts)
    for quarter, value in quarter_counts.items():
        area = quarter
        while area in PARENT_OF:
            area = PARENT_OF[area]
            totals[area] = totals.get(area, 0) + value
    return pd.DataFrame(
        {"gruppe": group, "gebiet": list(totals), "n": list(totals.values())}
    ).astype({"n": "Int64"})


def hidden_of(frame: pd.DataFrame) -> set[str]:
    mask = suppress_counts(frame, ["n"], area="gebiet", group_by=["gruppe"], parent_of=PARENT_OF)
    return set(frame.loc[mask["n"], "gebiet"])


def families(areas, parent_of=PARENT_OF) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for child in sorted(areas):
        if parent_of.get(child) in areas:
            out.setdefault(parent_of[child], []).append(child)
    return out


def peel(known: dict[str, float], areas: set[str], parent_of=PARENT_OF) -> list[str]:
    """The attacker: solve each parent = Σ children with exactly one unknown; repeat, so that
    recovered cells help on the next level up or down."""
    known, recovered = dict(known), []
    fam = families(areas, parent_of)
    progress = True
    while progress:
        progress = False
        for parent, kids in fam.items():
            missing = [a for a in [parent, *kids] if a not in known]
            if len(missing) != 1:
                continue
            [cell] = missing
            others = sum(known[k] for k in kids if k != cell)
            known[cell] = others if cell == parent else known[parent] - others
            recovered.append(cell)
            progress = True
    return recovered


def determined(known: dict[str, float], areas: set[str], parent_of=PARENT_OF) -> list[str]:
    """The stronger attacker: any unknown cell fixed by the whole linear system."""
    unknown = sorted(areas - set(known))
    if not unknown:
        return []
    col = {a: i for i, a in enumerate(unknown)}
    rows = []
    for parent, kids in families(areas, parent_of).items():
        row = np.zeros(len(unknown))
        if parent in col:
            row[col[parent]] = 1
        for k in kids:
            if k in col:
                row[col[k]] -= 1
        if row.any():
            rows.append(row)
    if not rows:
        return []
    system = np.array(rows)
    rank = np.linalg.matrix_rank(system)
    return [
        a
        for a, i in col.items()
        if np.linalg.matrix_rank(np.vstack([system, np.eye(len(unknown))[i]])) == rank
    ]


def test_primary_suppresses_one_to_threshold_minus_one_but_not_zero_or_missing():
    values = pd.Series([0, 1, 4, 5, None], dtype="Int64")
    assert primary(values, 5).tolist() == [False, True, True, False, False]
    assert primary(values, 3).tolist() == [False, True, False, False, False]


def test_a_single_small_quarter_takes_its_smallest_nonzero_sibling_along():
    frame = tree_frame({"Q111": 3, "Q112": 0, "Q113": 40, "Q121": 30, "Q122": 31,
                        "Q211": 20, "Q212": 21, "Q213": 22})  # fmt: skip
    # Q111 alone would be R11 − Q112 − Q113; Q112 (zero) adds nothing to the hidden sum
    assert hidden_of(frame) == {"Q111", "Q113"}


def test_two_small_siblings_whose_sum_is_small_are_joined_by_a_third():
    frame = tree_frame({"Q111": 1, "Q112": 2, "Q113": 40, "Q121": 30, "Q122": 31,
                        "Q211": 20, "Q212": 21, "Q213": 22})  # fmt: skip
    # hidden Q111 + Q112 = R11 − Q113 = 3 would show that both are small
    assert hidden_of(frame) == {"Q111", "Q112", "Q113"}


def test_a_suppressed_parent_is_protected_on_the_level_above():
    frame = tree_frame({"Q111": 1, "Q112": 1, "Q113": 1, "Q121": 30, "Q122": 31,
                        "Q211": 20, "Q212": 21, "Q213": 22})  # fmt: skip
    hidden = hidden_of(frame)
    assert {"Q111", "Q112", "Q113", "R11"} <= hidden  # R11 = 3 is small itself
    # R11 would be B1 − R12: so R12 (or B1) must be hidden as well
    assert hidden & {"R12", "B1"}
    assert peel_frame(frame, hidden) == []


def peel_frame(frame: pd.DataFrame, hidden: set[str]) -> list[str]:
    known = {a: float(v) for a, v in zip(frame["gebiet"], frame["n"], strict=True)}
    return peel({a: v for a, v in known.items() if a not in hidden}, set(known))


@pytest.mark.parametrize("seed", range(40))
def test_random_trees_leave_the_attacker_nothing(seed):
    rng = np.random.default_rng(seed)
    counts = {q: int(rng.choice([0, 1, 2, 3, 4, 6, 15, 60])) for q in QUARTERS}
    frame = tree_frame(counts)
    hidden = hidden_of(frame)
    values = dict(zip(frame["gebiet"], frame["n"].astype(float), strict=True))
    assert {a for a, v in values.items() if 1 <= v <= 4} <= hidden
    known = {a: v for a, v in values.items() if a not in hidden}
    assert peel(known, set(values)) == []
    assert determined(known, set(values)) == []
    # the hidden cells of each published parent add up to 0 or at least the threshold
    for parent, kids in families(set(values)).items():
        if parent not in hidden:
            rest = sum(values[k] for k in kids if k in hidden)
            assert rest == 0 or rest >= 5
