"""Suppression on the linked system of nested counts, attacked by differencing and by an LP
formulated here independently of ``indicators/export/audit.py``."""

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog
from test_disclosure import PARENT_OF, QUARTERS, tree_frame

from indicators.export.audit import audit, audit_package
from indicators.export.disclosure import suppress_counts
from indicators.export.linked import linked_cells, table_masks
from indicators.export.suppression import suppress_linked

THRESHOLD = 5
SOURCE = "schuleingang"
INDICATORS = {  # id: (numerator fields, denominator fields), all shares in %
    "abdeckung": (("untersuchte",), ("jahrgang",)),
    "uebergewicht": (("adipositas", "uebergewicht"), ("untersuchte",)),
    "adipositas": (("adipositas",), ("untersuchte",)),
}
NESTED = [  # (part, whole) as field sets, by hand from the definitions above
    ({"adipositas"}, {"adipositas", "uebergewicht"}),
    ({"adipositas", "uebergewicht"}, {"untersuchte"}),
    ({"adipositas"}, {"untersuchte"}),
    ({"untersuchte"}, {"jahrgang"}),
    ({"adipositas"}, {"jahrgang"}),
    ({"adipositas", "uebergewicht"}, {"jahrgang"}),
]


def package(quarters: dict[str, dict[str, int]]) -> dict[str, pd.DataFrame]:
    """The tables of a package with the school-entry fields of ``quarters`` summed up."""
    fields = next(iter(quarters.values())).keys()
    totals = {f: tree_frame({q: v[f] for q, v in quarters.items()}) for f in fields}
    areas = list(totals["jahrgang"]["gebiet"])
    rows = []
    for indicator, (numerator, denominator) in INDICATORS.items():
        for i, area in enumerate(areas):
            rows.append({
                "gebiet_id": area, "jahr": 2020, "indikator_id": indicator,
                "zaehler": sum(int(totals[f]["n"].iloc[i]) for f in numerator),
                "nenner": sum(int(totals[f]["n"].iloc[i]) for f in denominator),
            })  # fmt: skip
    return {
        "gebiete": pd.DataFrame({"gebiet_id": areas,
                                 "uebergeordnet_id": [PARENT_OF.get(a) for a in areas]}),
        "indikatorkatalog": pd.DataFrame([
            {"indikator_id": i, "quelle": SOURCE, "einheit": "%",
             "zaehler_definition": " + ".join(n), "nenner_definition": " + ".join(d)}
            for i, (n, d) in INDICATORS.items()
        ]),
        "indikatoren": pd.DataFrame(rows),
        "massnahmen": pd.DataFrame(columns=["massnahme_id", "zielgruppe_alter"]),
        "massnahmen_output": pd.DataFrame(columns=[
            "massnahme_id", "gebiet_id", "jahr", "ebene_rang", "analyseeinheit", "aktiv",
            "teilnehmende", "teilnehmende_sgb2", "zielgruppe"]),
        "massnahmen_kosten": pd.DataFrame(
            columns=["massnahme_id", "jahr", "teilnehmende", "kinder_zielgruppe"]),
    }  # fmt: skip


def published_new(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    system = linked_cells(frames)
    hidden = suppress_linked(system, PARENT_OF, THRESHOLD)
    mask = table_masks(frames, system, hidden)["indikatoren"]
    return frames["indikatoren"].assign(
        zaehler=frames["indikatoren"]["zaehler"].where(~mask["zaehler"]),
        nenner=frames["indikatoren"]["nenner"].where(~mask["nenner"]),
    )


def published_old(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """What the per-table, per-indicator method publishes."""
    values = frames["indikatoren"].astype({"zaehler": "Int64", "nenner": "Int64"})
    mask = suppress_counts(values, ["zaehler", "nenner"], area="gebiet_id",
                           group_by=["indikator_id", "jahr"], parent_of=PARENT_OF)  # fmt: skip
    return values.assign(
        zaehler=values["zaehler"].where(~mask["zaehler"]).astype(float),
        nenner=values["nenner"].where(~mask["nenner"]).astype(float),
    )


def entries(published: pd.DataFrame) -> dict[tuple[str, frozenset], float]:
    """(area, field set) → value of every published count, from the rows."""
    out = {}
    for row in published.itertuples(index=False):
        numerator, denominator = INDICATORS[row.indikator_id]
        for fields, value in ((numerator, row.zaehler), (denominator, row.nenner)):
            if not pd.isna(value):
                out[(row.gebiet_id, frozenset(fields))] = float(value)
    return out


def differencing_attack(published: pd.DataFrame) -> list[tuple]:
    """Every published nested pair whose difference is a small count."""
    known = entries(published)
    found = []
    for area in {a for a, _ in known}:
        for part, whole in NESTED:
            p, w = known.get((area, frozenset(part))), known.get((area, frozenset(whole)))
            if p is not None and w is not None and 1 <= w - p <= THRESHOLD - 1:
                found.append((area, sorted(part), sorted(whole), w - p))
    return found


def lp_attack(true: pd.DataFrame, published: pd.DataFrame) -> dict[tuple, tuple[float, float]]:
    """Min and max of every suppressed entry, one dense variable per table entry: equal
    entries of one quantity, area sums per indicator, nested parts ≤ wholes, all ≥ 0."""
    columns = ("zaehler", "nenner")
    keys = [(r.gebiet_id, r.indikator_id, c) for r in true.itertuples() for c in columns]
    col = {k: i for i, k in enumerate(keys)}
    n = len(keys)
    eq, ub = [], []

    def row(terms):
        out = np.zeros(n)
        for k, c in terms:
            out[col[k]] += c
        return out

    fields = {(i, c): frozenset(INDICATORS[i][0 if c == "zaehler" else 1])
              for i in INDICATORS for c in ("zaehler", "nenner")}  # fmt: skip
    areas = set(true["gebiet_id"])
    for a in areas:
        same: dict[frozenset, list] = {}
        for (i, c), f in fields.items():
            same.setdefault(f, []).append((a, i, c))
        for group in same.values():
            eq += [row([(group[0], 1), (k, -1)]) for k in group[1:]]
        for part, whole in NESTED:
            p = next(k for k in same[frozenset(part)])
            w = next(k for k in same[frozenset(whole)])
            ub.append(row([(p, 1), (w, -1)]))
    for parent in areas:
        kids = [a for a in areas if PARENT_OF.get(a) == parent]
        if kids:
            for i, c in fields:
                eq.append(row([((parent, i, c), 1)] + [((k, i, c), -1) for k in kids]))
    values = {(r.gebiet_id, r.indikator_id, c): getattr(r, c)
              for r in published.itertuples() for c in ("zaehler", "nenner")}  # fmt: skip
    bounds = [(v, v) if not pd.isna(v) else (0, None) for v in (values[k] for k in keys)]
    out = {}
    for k in keys:
        if pd.isna(values[k]):
            c = np.zeros(n)
            c[col[k]] = 1
            low = linprog(c, A_ub=ub, b_ub=np.zeros(len(ub)), A_eq=eq, b_eq=np.zeros(len(eq)),
                          bounds=bounds, method="highs")  # fmt: skip
            high = linprog(-c, A_ub=ub, b_ub=np.zeros(len(ub)), A_eq=eq, b_eq=np.zeros(len(eq)),
                           bounds=bounds, method="highs")  # fmt: skip
            assert low.status == 0
            out[k] = (low.fun, -high.fun if high.status == 0 else np.inf)
    return out


def random_quarters(seed: int) -> dict[str, dict[str, int]]:
    rng = np.random.default_rng(seed)
    out = {}
    for q in QUARTERS:
        adipositas = int(rng.choice([0, 1, 2, 3, 6, 12]))
        overweight = int(rng.choice([0, 1, 2, 4, 8, 20]))
        examined = adipositas + overweight + int(rng.choice([0, 2, 10, 40, 90]))
        cohort = examined + int(rng.choice([0, 1, 3, 9]))
        out[q] = {"adipositas": adipositas, "uebergewicht": overweight,
                  "untersuchte": examined, "jahrgang": cohort}  # fmt: skip
    return out


@pytest.mark.parametrize("seed", range(40))
def test_random_trees_with_nested_counts_leave_both_attackers_nothing(seed):
    frames = package(random_quarters(seed))
    published = published_new(frames)
    assert differencing_attack(published) == []
    counts = published[["zaehler", "nenner"]].stack()
    assert not counts.between(1, THRESHOLD - 1).any()
    for (area, indicator, column), (low, high) in lp_attack(frames["indikatoren"],
                                                            published).items():  # fmt: skip
        assert high - low >= 2 * THRESHOLD - 1e-6, f"{area} {indicator} {column}: {low}–{high}"


def test_a_nested_pair_with_difference_three_leaks_by_the_old_method_only():
    quarters = {q: {"adipositas": 10, "uebergewicht": 10, "untersuchte": 60, "jahrgang": 70}
                for q in QUARTERS}  # fmt: skip
    quarters["Q111"] = {"adipositas": 10, "uebergewicht": 10, "untersuchte": 40, "jahrgang": 43}
    frames = package(quarters)
    leaks = differencing_attack(published_old(frames))
    assert ("Q111", ["untersuchte"], ["jahrgang"], 3.0) in leaks
    assert differencing_attack(published_new(frames)) == []


def test_a_cell_pinned_to_a_narrow_range_by_the_old_method_is_widened():
    quarters = {q: {"adipositas": 10, "uebergewicht": 10, "untersuchte": 60, "jahrgang": 70}
                for q in QUARTERS}  # fmt: skip
    # obese 2 in Q111 and 3 in Q112: hidden together, their sum 5 is enough for the old
    # method; overweight incl. obese (12, 13) is published, so obese lies in [0, 5] each
    quarters["Q111"] = {"adipositas": 2, "uebergewicht": 10, "untersuchte": 60, "jahrgang": 70}
    quarters["Q112"] = {"adipositas": 3, "uebergewicht": 10, "untersuchte": 60, "jahrgang": 70}
    frames = package(quarters)
    old = published_old(frames)
    ranges = lp_attack(frames["indikatoren"], old)
    assert ranges[("Q111", "adipositas", "zaehler")] == pytest.approx((0, 5))
    result = audit(linked_cells({**frames, "indikatoren": old}), THRESHOLD)
    row = result.cells.set_index(["menge", "gebiet_id"]).loc[(f"{SOURCE}:adipositas", "Q111")]
    assert (row["minimum"], row["maximum"]) == pytest.approx((0, 5))
    assert not row["geschuetzt"] and not result.success
    new = lp_attack(frames["indikatoren"], published_new(frames))
    assert ("Q111", "adipositas", "zaehler") in new
    assert min(high - low for low, high in new.values()) >= 2 * THRESHOLD - 1e-6


@pytest.mark.parametrize("seed", range(5))
def test_the_audit_agrees_with_the_independent_attacker(seed):
    frames = package(random_quarters(seed))
    published = published_new(frames)
    system = linked_cells({**frames, "indikatoren": published})
    result = audit(system, THRESHOLD, exact=True)
    assert result.success and result.cells["exakt"].all()
    ours = result.cells.set_index(["gebiet_id", "menge"])
    quick = audit(system, THRESHOLD).cells.set_index(["gebiet_id", "menge"])
    inside = (quick["minimum"] >= ours["minimum"] - 1e-6) & (
        quick["maximum"] <= ours["maximum"] + 1e-6
    )
    assert inside.all() and (quick["maximum"] - quick["minimum"] >= 2 * THRESHOLD - 1e-6).all()
    for (area, indicator, column), (low, high) in lp_attack(frames["indikatoren"],
                                                            published).items():  # fmt: skip
        fields = INDICATORS[indicator][0 if column == "zaehler" else 1]
        row = ours.loc[(area, f"{SOURCE}:{'+'.join(sorted(fields))}")]
        assert (row["minimum"], row["maximum"]) == pytest.approx((low, high), abs=1e-6)


def test_one_quantity_gets_one_decision_in_every_indicator():
    frames = package(random_quarters(3))
    published = published_new(frames)
    examined = published[published["indikator_id"] != "abdeckung"].pivot(
        index="gebiet_id", columns="indikator_id", values="nenner"
    )
    coverage = published[published["indikator_id"] == "abdeckung"].set_index("gebiet_id")
    for _, values in examined.iterrows():
        assert values.isna().all() or values.notna().all()
    assert (
        examined["adipositas"].isna() == coverage["zaehler"].reindex(examined.index).isna()
    ).all()


def test_a_small_count_the_model_has_no_cell_for_still_fails_the_audit(tmp_path):
    frames = package(random_quarters(1))
    frames["indikatoren"] = published_new(frames)
    frames["massnahmen_kosten"] = pd.DataFrame(
        {"massnahme_id": ["M01"], "jahr": [2031], "teilnehmende": [3], "kinder_zielgruppe": [40]}
    )  # a year without the city's row in the reach table: no cell in the linked model
    for name, frame in frames.items():
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
    result = audit_package(tmp_path, THRESHOLD)
    assert not result.success
    assert result.small[["menge", "jahr"]].values.tolist() == [
        ["massnahmen_kosten.teilnehmende", 2031]
    ]
