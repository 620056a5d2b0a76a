"""The Cell Key Method: the ptable against its specification and an independent solver, the
noise of random counts, the keys of nested cells, and the sample published with perturbed
counts (export package, manifest, codebook, the Land's refusal, the atlas)."""

import dataclasses
import hashlib
import json
from datetime import datetime
from pathlib import Path

import dagster as dg
import duckdb
import numpy as np
import openpyxl
import pandas as pd
import pytest
from scipy.optimize import minimize
from test_atlas import published_cells

from indicators.atlas.site import build_atlas
from indicators.export.audit import AUDIT_KEY
from indicators.export.cell_key import (
    PTABLE_FILE,
    CellKeyMethod,
    PTableParams,
    build_ptable,
    cell_keys,
    chosen_method,
    perturb,
    read_secret,
    uniform_key,
)
from indicators.export.package import export_package
from indicators.export.tables import read_tables
from indicators.land.verify import verify_package
from pipelines.definitions import build_definitions
from pipelines.settings import Settings

THRESHOLD = 5
JS = THRESHOLD - 1
SECRET = b"test-secret"
PARAMS = [PTableParams(), PTableParams(D=10, V=3.0, js=9), PTableParams(D=4, V=1.5, js=2),
          PTableParams(D=3, V=2.0, js=0)]  # fmt: skip
COUNTS = {
    "indikatoren": ["zaehler", "nenner"],
    "massnahmen_output": ["teilnehmende", "teilnehmende_sgb2", "zielgruppe"],
    "massnahmen_kosten": ["teilnehmende", "kinder_zielgruppe"],
}


def moments(table: pd.DataFrame) -> pd.DataFrame:
    """Per original count i: Σp, E[j] and Var[j], computed from the table's rows."""
    rows = []
    for i, row in table.groupby("i"):
        p, j = row["p"].to_numpy(), row["j"].to_numpy(float)
        mean = float(p @ j)
        rows.append([i, p.sum(), mean, float(p @ (j - mean) ** 2)])
    return pd.DataFrame(rows, columns=["i", "sum", "mean", "var"]).set_index("i")


@pytest.mark.parametrize("params", PARAMS, ids=str)
def test_every_row_is_a_distribution_unbiased_with_the_variance_asked_for(params):
    table = build_ptable(params)
    m = moments(table)
    assert list(m.index) == list(range(params.imax + 1))
    assert np.allclose(m["sum"], 1.0, atol=1e-12)
    assert np.allclose(m["mean"], m.index, atol=1e-9)
    assert table.loc[table["i"] == 0, ["j", "p"]].values.tolist() == [[0, 1.0]]
    free = m.index > params.js
    assert (m.loc[free, "var"] <= params.V + 1e-9).all()
    assert m.loc[params.imax, "var"] == pytest.approx(params.V, abs=1e-9)
    assert (table["p"] > 0).all() and ((table["j"] - table["i"]).abs() <= params.D).all()
    assert not table["j"].between(1, params.js).any()
    last = table.groupby("i").tail(1)
    assert np.allclose(last["p_int_ub"], 1.0, atol=1e-12)
    assert np.allclose(table["p_int_ub"] - table["p_int_lb"], table["p"])


@pytest.mark.parametrize("i", [2, 5, 7, 10])
def test_the_rows_are_the_maximum_entropy_distributions(i):
    """Against scipy's SLSQP on the entropy directly (as the R package ptable does with
    nloptr): Σp = 1, E = 0, Var ≤ V; for counts 1 … js, whose targets cannot meet the variance
    bound, without it."""
    params = PTableParams()
    row = build_ptable(params).query("i == @i")
    v = row["j"].to_numpy(float) - i
    constraints = [
        {"type": "eq", "fun": lambda p: p.sum() - 1},
        {"type": "eq", "fun": lambda p: p @ v},
    ]
    if i > params.js:
        constraints.append({"type": "ineq", "fun": lambda p: params.V - p @ (v * v)})
    found = minimize(lambda p: p @ np.log(p), np.full(len(v), 1 / len(v)), method="SLSQP",
                     bounds=[(1e-12, 1)] * len(v), constraints=constraints,
                     options={"ftol": 1e-14, "maxiter": 1000})  # fmt: skip
    assert found.success
    assert np.allclose(row["p"], found.x, atol=1e-5)


def test_the_documented_ptable_file_is_the_default_table():
    table = build_ptable(PTableParams())
    assert pd.read_csv(PTABLE_FILE).equals(table)
    described = CellKeyMethod.for_threshold(SECRET, THRESHOLD).description()
    assert described["ptable_sha256"] == hashlib.sha256(PTABLE_FILE.read_bytes()).hexdigest()
    assert (described["D"], described["V"], described["js"]) == (5, 3.0, 4)


def test_random_counts_zeros_stay_small_counts_never_appear_and_the_lookup_follows_p():
    table = build_ptable(PTableParams())
    rng = np.random.default_rng(7)
    counts = pd.Series(rng.integers(0, 300, 20_000), dtype="Int64")
    out = perturb(counts, pd.Series(rng.random(len(counts))), table)
    assert (out[counts == 0] == 0).all()
    assert not out.between(1, JS).any()
    small = counts.between(1, JS)
    assert small.sum() > 100 and (out[small] != counts[small]).all()
    assert ((out - counts).abs() <= 5).all() and (out >= 0).all()
    # an even grid of keys draws each target with its probability (to 1 / grid size)
    grid = pd.Series((np.arange(100_000) + 0.5) / 100_000)
    for count in (1, 3, 6, 10, 57):
        drawn = perturb(pd.Series([count] * len(grid), dtype="Int64"), grid, table)
        share = drawn.value_counts(normalize=True)
        row = table[table["i"] == min(count, 10)]
        expected = pd.Series(row["p"].to_numpy(), index=row["j"] + count - min(count, 10))
        assert np.allclose(share.reindex(expected.index, fill_value=0), expected, atol=2e-5)
        assert drawn.astype(float).mean() == pytest.approx(count, abs=1e-3)
    assert perturb(pd.Series([pd.NA], dtype="Int64"), pd.Series([0.5]), table).isna().all()


def test_keys_of_nested_cells_add_up_as_with_record_keys():
    """Tree S → {A, B}, A → {a1, a2}: a finest cell has its own key, a parent the sum mod 1 of
    its children's plus its own where it has records in no child."""
    parent_of = {"A": "S", "B": "S", "a1": "A", "a2": "A"}
    cells = pd.DataFrame({
        "area": ["S", "A", "B", "a1", "a2", "S", "A", "a1", "a2"],
        "year": [2020] * 5 + [2021] * 4,
        "quantity": "q",
        "count": [30, 12, 18, 12, 0, 50, 9, 7, 0],
    })  # fmt: skip
    keys = cell_keys(cells, parent_of, SECRET)

    def own(area, year):
        return uniform_key(SECRET, area, year, "q")

    assert keys[3] == own("a1", 2020) and keys[4] == 0.0  # a zero cell has no records
    assert keys[1] == keys[3]  # A is a1 alone: the same records, the same key
    assert keys[0] == pytest.approx((keys[3] + own("B", 2020)) % 1.0)
    # 2021: A has 2 records in no child, S has 41 in none (B is not in the table)
    assert keys[6] == pytest.approx((own("a1", 2021) + own("A", 2021)) % 1.0)
    assert keys[5] == pytest.approx((keys[6] + own("S", 2021)) % 1.0)
    assert ((keys >= 0) & (keys < 1)).all()
    again = cell_keys(cells.iloc[::-1], parent_of, SECRET).sort_index()
    assert again.equals(keys)
    other = cell_keys(cells, parent_of, b"other")
    records = cells["count"] > 0
    assert not np.isclose(other[records], keys[records]).any()


@pytest.fixture(scope="module")
def tables(sample_run):
    """The sample's tables: unperturbed mart rows, perturbed twice, perturbed with another
    secret, suppressed."""
    _, settings = sample_run
    method = CellKeyMethod.for_threshold(SECRET, THRESHOLD)
    with duckdb.connect(str(settings.published), read_only=True) as con:
        raw = {
            name: con.execute(f"SELECT * FROM mart.{view}").df()
            for name, view in (("indikatoren", "indikatoren"), ("massnahmen_output",
                               "massnahmen_output"), ("massnahmen_kosten", "massnahmen_kosten"))
        }  # fmt: skip
        return {
            "raw": raw,
            "ckm": read_tables(con, THRESHOLD, method),
            "again": read_tables(con, THRESHOLD, CellKeyMethod.for_threshold(SECRET, THRESHOLD)),
            "other": read_tables(con, THRESHOLD, CellKeyMethod.for_threshold(b"x", THRESHOLD)),
            "suppressed": read_tables(con, THRESHOLD),
        }


def keyed(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    keys = {"indikatoren": ["gebiet_id", "jahr", "indikator_id"],
            "massnahmen_output": ["massnahme_id", "gebiet_id", "jahr"],
            "massnahmen_kosten": ["massnahme_id", "jahr"]}[name]  # fmt: skip
    return frame.set_index(keys).sort_index()


@pytest.mark.parametrize("name", COUNTS)
def test_no_small_count_is_published_and_none_exactly(tables, name):
    true = keyed(tables["raw"][name], name)
    published = keyed(tables["ckm"].frames[name], name).reindex(true.index)
    assert not tables["ckm"].frames[name]["gesperrt"].any()
    moved = 0
    for column in COUNTS[name]:
        t, p = true[column].astype("Int64"), published[column]
        assert not p.between(1, JS).any(), column
        small = t.between(1, JS).fillna(False)
        assert (p[small] != t[small]).all(), column
        assert (p[t == 0] == 0).all() and (p.isna() == t.isna()).all(), column
        assert ((p - t).abs() <= 5).all(), column
        moved += int((p != t).sum())
    assert moved > len(true) // 4  # noise everywhere, not only on small counts


def test_the_same_quantity_has_the_same_noise_in_every_table_and_indicator(tables):
    frames = tables["ckm"].frames
    values = frames["indikatoren"].merge(frames["indikatorkatalog"], on="indikator_id")
    published = pd.concat(
        values[["gebiet_id", "jahr", "quelle", f"{column}_definition", column]].set_axis(
            ["gebiet_id", "jahr", "quelle", "felder", "anzahl"], axis=1
        )
        for column in ("zaehler", "nenner")
    )
    per_cell = published.groupby(["gebiet_id", "jahr", "quelle", "felder"])["anzahl"]
    shared = per_cell.count() > 1  # published (not unknown) in several places
    assert shared.sum() > 1000
    assert (per_cell.nunique()[shared] == 1).all()
    examined = published[published["felder"] == "untersuchte"]
    assert examined.groupby(["gebiet_id", "jahr"])["anzahl"].count().max() == 10
    output, costs = frames["massnahmen_output"], frames["massnahmen_kosten"]
    city = output[output["ebene_rang"] == 0].set_index(["massnahme_id", "jahr"])
    paid = costs.set_index(["massnahme_id", "jahr"])["teilnehmende"]
    assert paid.equals(city["teilnehmende"].reindex(paid.index))
    poverty = values[values["indikator_id"] == "kinderarmut_sgb2"].set_index(["gebiet_id", "jahr"])
    shares = output.set_index(["gebiet_id", "jahr"])["sgb2_anteil_zielgruppe"]
    assert np.allclose(shares, poverty["wert"].reindex(shares.index), equal_nan=True)


def test_the_noise_is_the_same_on_every_run_and_another_secret_gives_another(tables):
    for name, columns in COUNTS.items():
        first, again = tables["ckm"].frames[name], tables["again"].frames[name]
        pd.testing.assert_frame_equal(first, again)
        other = tables["other"].frames[name]
        assert (first[columns] != other[columns]).fillna(False).to_numpy().mean() > 0.2


def test_rates_are_computed_from_the_perturbed_counts(tables):
    frames = tables["ckm"].frames
    values = frames["indikatoren"].merge(frames["indikatorkatalog"][["indikator_id", "faktor"]])
    z, n = values["zaehler"].astype(float), values["nenner"].astype(float)
    expected = (np.minimum(z, n) / n * values["faktor"]).where(n > 0)
    assert np.allclose(values["wert"], expected, equal_nan=True)
    assert (z > n).sum() > 0  # the noise lifted some numerators over their denominators
    inside = values["wert"].notna()
    assert ((values["ki_unten"] <= values["wert"]) & (values["wert"] <= values["ki_oben"]))[
        inside
    ].all()
    output = frames["massnahmen_output"]
    t, g = output["teilnehmende"].astype(float), output["zielgruppe"].astype(float)
    assert np.allclose(output["reichweite"], (100 * t / g).where(g > 0), equal_nan=True)
    costs = frames["massnahmen_kosten"]
    per_head = costs["kosten_eur"] / costs["teilnehmende"].astype(float)
    assert np.allclose(costs["kosten_je_teilnehmende"], per_head, equal_nan=True)


def test_pooling_statistics_are_left_out_and_suppression_is_untouched(tables):
    ckm, suppressed = tables["ckm"], tables["suppressed"]
    assert ckm.frames["wirkung_summen"].empty and ckm.frames["wirkung_gebiete"].empty
    assert len(ckm.withheld) > 0 and ckm.withheld["grund"].str.contains("Cell-Key").all()
    assert suppressed.cell_key is None and suppressed.frames["indikatoren"]["gesperrt"].any()
    assert (suppressed.frames["indikatoren"]["zaehler"].dropna() >= 0).all()


@pytest.fixture(scope="module")
def ckm_package(sample_run, tmp_path_factory) -> Path:
    _, settings = sample_run
    result = export_package(
        settings.published, tmp_path_factory.mktemp("ckm") / "exports", "0123456789abcdef",
        threshold=THRESHOLD, version="test", created=datetime(2025, 3, 1),
        cell_key=CellKeyMethod.for_threshold(SECRET, THRESHOLD),
    )  # fmt: skip
    assert result.contract.success
    # nothing is suppressed but the avoided cases: an exact sum of quarter denominators
    costs = pd.read_csv(result.folder / "massnahmen_kosten.csv")
    withheld = costs["fall_indikator_id"].notna()
    assert result.suppressed_cells == 3 * int(withheld.sum())
    assert costs.loc[withheld, "vermiedene_faelle"].isna().all()
    return result.folder


def test_the_package_states_the_method_in_manifest_and_codebook_never_the_secret(ckm_package):
    manifest = json.loads((ckm_package / "manifest.json").read_text())
    assert manifest["geheimhaltungsverfahren"] == {
        "verfahren": "cell-key", "D": 5, "V": 3.0, "js": 4,
        "ptable_sha256": hashlib.sha256(PTABLE_FILE.read_bytes()).hexdigest(),
    }  # fmt: skip
    book = openpyxl.load_workbook(ckm_package / "auswertung.xlsx")
    notes = " ".join(str(r[1]) for r in book["Hinweise"].values)
    codebook = " ".join(str(c) for r in book["Codebuch"].values for c in r)
    for text in (notes, codebook):
        assert "Cell-Key-Verfahren" in text and "D = 5" in text and "js = 4" in text
    assert "Cell-Key-Verfahren" in (ckm_package / "bericht.html").read_text()
    for path in ckm_package.rglob("*"):
        if path.is_file():
            assert SECRET not in path.read_bytes(), path
    counts = pd.read_csv(ckm_package / "indikatoren.csv")[["zaehler", "nenner"]]
    assert not counts.stack().between(1, JS).any()
    report = json.loads((ckm_package / "pruefbericht.json").read_text())
    assert report[AUDIT_KEY] is None  # no suppressed cell to audit


def test_the_land_refuses_a_perturbed_package_for_exact_pooling(ckm_package):
    findings = verify_package(ckm_package, THRESHOLD).findings
    assert [f.regel for f in findings] == ["verfahren"]
    assert "sperrung" in findings[0].meldung


def test_the_atlas_shows_the_perturbed_values_and_no_exact_small_count(sample_run, tmp_path):
    _, settings = sample_run
    method = CellKeyMethod.for_threshold(SECRET, THRESHOLD)
    result = build_atlas(settings.published, tmp_path, threshold=THRESHOLD,
                         created=datetime(2025, 3, 1), cell_key=method)  # fmt: skip
    with duckdb.connect(str(settings.published), read_only=True) as con:
        true = (
            con.execute(
                "SELECT i.indikator_id, i.gebiet_id, i.jahr, i.zaehler, i.nenner, k.faktor "
                "FROM mart.indikatoren i JOIN mart.indikatorkatalog k USING (indikator_id)"
            )
            .df()
            .astype({"zaehler": float, "nenner": float})
        )
        true = true.set_index(["indikator_id", "gebiet_id", "jahr"])
        shown = read_tables(con, THRESHOLD, method).frames["indikatoren"]
    shown = shown.set_index(["indikator_id", "gebiet_id", "jahr"])["wert"]
    small, exact, cells = 0, [], 0
    for _, indicator, area, year, cell in published_cells(result.folder):
        key = (indicator, area, year)
        assert cell is None or "gesperrt" not in cell
        value = None if cell is None else cell["wert"]
        assert value == (None if pd.isna(shown[key]) else float(shown[key]))
        cells += 1
        z, n, factor = true.loc[key]
        if value is not None and 1 <= z <= JS and z / n * factor == pytest.approx(value):
            exact.append(key)
        small += bool(pd.notna(z) and 1 <= z <= JS)
    assert cells > 1000 and small > 50 and exact == []
    assert "Cell-Key-Verfahren" in (result.folder / "index.html").read_text()
    pages = [p.read_text() for p in (result.folder / "indikatoren").glob("*.html")]
    assert sum('<svg class="karte"' in page for page in pages) > 0
    assert not any("gesperrt (Geheimhaltung)" in page or "Schraffierte" in page for page in pages)


def test_the_settings_choose_suppression_for_the_package_and_cell_key_for_the_atlas(
    sample_run, tmp_path, monkeypatch
):
    for name in ("KEKIZ_EXPORT_METHOD", "KEKIZ_ATLAS_METHOD", "KEKIZ_CELL_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    defaults = Settings.from_env(warehouse=tmp_path / "wh.duckdb")
    assert (defaults.export_method, defaults.atlas_method) == ("sperrung", "cell-key")
    assert defaults.cell_key_path == tmp_path / "cell_key.secret"
    with pytest.raises(ValueError, match="sperrung oder cell-key"):
        Settings.from_env(export_method="rauschen")
    assert chosen_method("sperrung", tmp_path / "nie", THRESHOLD) is None
    assert not (tmp_path / "nie").exists()
    secret = read_secret(tmp_path / "k" / "cell_key.secret")
    assert len(secret) == 64 and read_secret(tmp_path / "k" / "cell_key.secret") == secret
    assert (tmp_path / "k" / "cell_key.secret").stat().st_mode & 0o077 == 0
    _, settings = sample_run
    chosen = dataclasses.replace(
        settings, export_dir=tmp_path / "exports", export_method="cell-key",
        cell_key_file=tmp_path / "s",
    )  # fmt: skip
    job = build_definitions(chosen).resolve_job_def("jaehrlicher_export")
    assert job.execute_in_process(instance=dg.DagsterInstance.ephemeral()).success
    [folder] = (tmp_path / "exports").iterdir()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["geheimhaltungsverfahren"]["verfahren"] == "cell-key"
    assert (tmp_path / "s").read_bytes().strip() not in (folder / "manifest.json").read_bytes()
