"""Choropleth maps: classes, labels and what a drawn map shows (legend, hatching, scale bar)."""

import io

import matplotlib.image
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.patches import PathPatch, Rectangle
from shapely.geometry import Point, box

from indicators.display.charts import DPI
from indicators.display.maps import (
    SUPPRESSED_HATCH,
    UNKNOWN_HATCH,
    _path,
    choropleth,
    choropleth_figure,
    map_classes,
    scale_length,
    wide_interval_note,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SIDE = 2000.0
X0, Y0 = 350_000.0, 5_700_000.0


def grid() -> tuple[pd.DataFrame, pd.DataFrame]:
    """3 × 3 squares of 2 km (EPSG:25832-like metres), Q<row><column>; the three rows are the
    districts B0, B1, B2."""
    shapes = pd.DataFrame(
        [
            (
                f"Q{r}{c}",
                box(X0 + c * SIDE, Y0 + r * SIDE, X0 + (c + 1) * SIDE, Y0 + (r + 1) * SIDE),
            )
            for r in range(3)
            for c in range(3)
        ],
        columns=["gebiet_id", "geometry"],
    )
    parents = pd.DataFrame(
        [(f"B{r}", box(X0, Y0 + r * SIDE, X0 + 3 * SIDE, Y0 + (r + 1) * SIDE)) for r in range(3)],
        columns=["gebiet_id", "geometry"],
    )
    return shapes, parents


# --- classes ---------------------------------------------------------------------------------


def test_quantile_classes_match_numpy_and_read_in_german():
    values = [float(v) for v in range(1, 11)] + [np.nan]
    classes = map_classes(values, unit="%")
    expected = np.round(np.quantile(np.arange(1, 11), [0.2, 0.4, 0.6, 0.8]), 1)
    assert classes.breaks == pytest.approx(tuple(expected))
    assert classes.breaks == pytest.approx((2.8, 4.6, 6.4, 8.2))
    assert classes.labels == (
        "1,0 bis unter 2,8 %",
        "2,8 bis unter 4,6 %",
        "4,6 bis unter 6,4 %",
        "6,4 bis unter 8,2 %",
        "8,2 bis 10,0 %",
    )
    assert list(classes.classify([1.0, 2.79, 2.8, 8.2, 10.0, np.nan])) == [0, 0, 1, 4, 4, -1]


def test_few_or_equal_values_get_fewer_classes():
    # quantiles of 3, 3, 3, 7 at 20/40/60 % are 3 (the lowest value: no class below it),
    # at 80 %: 3 + 0.4 × (7 − 3) = 4.6
    few = map_classes([3, 3, 3, 7], unit="%")
    assert few.breaks == pytest.approx((4.6,))
    assert few.labels == ("3,0 bis unter 4,6 %", "4,6 bis 7,0 %")
    assert map_classes([5, 5, 5], unit="%").labels == ("5,0 %",)
    # 1, 2, 3, 4: quantiles 1.6, 2.2, 2.8, 3.4; no value in [2.2, 2.8): it joins [2.8, 3.4)
    four = map_classes([1, 2, 3, 4])
    assert four.breaks == pytest.approx((1.6, 2.2, 3.4))
    assert four.labels == ("1,0 bis unter 1,6", "1,6 bis unter 2,2", "2,2 bis unter 3,4",
                           "3,4 bis 4,0")  # fmt: skip
    assert list(four.classify([1, 2, 3, 4])) == [0, 1, 2, 3]
    assert map_classes([np.nan]).labels == ()


def test_fixed_breaks_from_the_catalogue():
    classes = map_classes([4.0, 55.0], breaks=[10, 20, 30], unit="%")
    assert classes.labels == (
        "unter 10,0 %",
        "10,0 bis unter 20,0 %",
        "20,0 bis unter 30,0 %",
        "30,0 % und mehr",
    )
    assert list(classes.classify([9.99, 10.0, 29.9, 30.0, 55.0])) == [0, 1, 2, 3, 3]
    with pytest.raises(ValueError):
        map_classes([1.0], breaks=[20, 10])


def test_the_catalogue_marks_a_few_indicators_for_maps():
    from indicators.compute.catalogue import load_catalogue

    mapped = load_catalogue().mapped
    assert 1 <= len(mapped) <= 4
    fixed = {ind.id: ind.map_breaks for ind in mapped if ind.map_breaks}
    assert fixed["kinderarmut_sgb2"] == (10.0, 20.0, 30.0, 40.0)


def test_wide_interval_note_counts_intervals_wider_than_their_class():
    classes = map_classes([1.0, 50.0], breaks=[10, 20])  # widths 9, 10, 30
    values = pd.Series([5.0, 15.0, 15.0, 40.0, np.nan])
    lower = pd.Series([1.0, 12.0, 4.0, 30.0, np.nan])  # widths 8, 6, 22, 20
    upper = pd.Series([9.0, 18.0, 26.0, 50.0, np.nan])
    note = wide_interval_note(values, lower, upper, classes)
    assert note.startswith("Hinweis: Bei 1 von 4 Gebieten ist das 95-%-Konfidenzintervall")
    assert wide_interval_note(values, values, values, classes) is None


def test_scale_length_is_round():
    assert scale_length(6_360) == 1  # a quarter: 1.59 km
    assert scale_length(45_000) == 10  # 11.25 km
    assert scale_length(3_000) == 0.5  # 0.75 km
    assert scale_length(90_000) == 20  # 22.5 km


def test_polygon_holes_stay_open():
    """A ring-shaped area drawn black on white: the hole stays white."""
    donut = box(0, 0, 10, 10).difference(box(3, 3, 7, 7))
    assert donut.contains(Point(1, 1)) and not donut.contains(Point(5, 5))
    fig = plt.figure(figsize=(1, 1), dpi=100)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 10)
    ax.set_axis_off()
    ax.add_patch(PathPatch(_path(donut), facecolor="black", edgecolor="none"))
    fig.canvas.draw()
    image = np.asarray(fig.canvas.buffer_rgba())[:, :, :3]
    plt.close(fig)
    assert image[50, 50].tolist() == [255, 255, 255]  # the hole (5, 5)
    assert image[90, 10].tolist() == [0, 0, 0]  # (1, 1), rows counted from the top


# --- the drawn map ---------------------------------------------------------------------------


def test_map_of_a_grid_shows_classes_hatching_and_scale():
    shapes, parents = grid()
    values = pd.Series(
        [5.0, 12.0, 25.0, 35.0, 45.0, 99.0, np.nan, 18.0, 8.0],
        index=[f"Q{r}{c}" for r in range(3) for c in range(3)],
    )
    classes = map_classes(values.drop("Q12"), breaks=[10, 20, 30, 40], unit="%")
    fig = choropleth_figure(shapes, values, title="Test", classes=classes, suppressed={"Q12"},
                            parents=parents, note="Hinweis: breit.")  # fmt: skip
    try:
        ax = fig.axes[0]
        texts = [t.get_text() for t in fig.legends[0].get_texts()]
        # class counts by hand: <10: 5, 8; 10-20: 12, 18; 20-30: 25; 30-40: 35; ≥40: 45
        assert texts == [
            "unter 10,0 %  (2)",
            "10,0 bis unter 20,0 %  (2)",
            "20,0 bis unter 30,0 %  (1)",
            "30,0 bis unter 40,0 %  (1)",
            "40,0 % und mehr  (1)",
            "gesperrt (Geheimhaltung)  (1)",
            "kein Wert  (1)",
            "Grenze der übergeordneten Ebene",
        ]
        patches = {p.get_gid().split(":")[-1]: p for p in ax.patches
                   if isinstance(p, PathPatch) and ":" in (p.get_gid() or "")}  # fmt: skip
        assert len(patches) == 9
        # the suppressed area is hatched although a value was passed for it
        assert patches["Q12"].get_hatch() == SUPPRESSED_HATCH
        assert patches["Q12"].get_facecolor()[:3] == (1.0, 1.0, 1.0)
        assert patches["Q20"].get_hatch() == UNKNOWN_HATCH
        assert patches["Q00"].get_hatch() is None
        handles = fig.legends[0].legend_handles
        assert handles[5].get_hatch() == SUPPRESSED_HATCH
        assert handles[6].get_hatch() == UNKNOWN_HATCH
        # equal classes get equal colours, the legend's: 5 and 8 in class 0, 45 in class 4
        assert patches["Q00"].get_facecolor() == patches["Q22"].get_facecolor()
        assert patches["Q00"].get_facecolor() == handles[0].get_facecolor()
        assert patches["Q11"].get_facecolor() == handles[4].get_facecolor()
        assert len([p for p in ax.patches if p.get_gid() == "grenze_uebergeordnet"]) == 3
        # the scale bar: 1 km, the largest round length up to a quarter of the axis' width
        (bar,) = [p for p in ax.patches if isinstance(p, Rectangle) and p.get_gid() == "massstab"]
        x0, x1 = ax.get_xlim()
        assert x1 - x0 == pytest.approx(3 * SIDE * 1.06)  # 3 % margin on each side
        assert bar.get_width() == pytest.approx(1000.0)
        assert bar.get_width() <= 0.25 * (x1 - x0) < 2 * bar.get_width()
        assert "1 km" in [t.get_text() for t in ax.texts]
        assert "N" in [t.get_text() for t in ax.texts]
        assert ax.get_aspect() == 1.0  # metres are metres in both directions: north up
        assert "Hinweis: breit." in [t.get_text() for t in fig.texts]
    finally:
        plt.close(fig)


def test_png_bytes_are_a_valid_image():
    shapes, parents = grid()
    values = pd.Series(np.arange(9, dtype=float), index=shapes["gebiet_id"])
    png = choropleth(shapes, values, title="Test", classes=map_classes(values), parents=parents)
    assert png.startswith(PNG_SIGNATURE)
    image = matplotlib.image.imread(io.BytesIO(png), format="png")
    height, width = image.shape[:2]
    assert width > 6 * DPI and height > 4 * DPI
    # an area's colour is in the picture: class 0's colour at the centre of Q00
    assert image.std() > 0.05


def test_a_warehouse_without_geometries_gets_no_maps(tmp_path):
    import duckdb

    from indicators.compute.catalogue import load_catalogue
    from indicators.store.indicator_facts import indicator_maps
    from indicators.store.schema import ensure_schema

    catalogue = load_catalogue()
    with duckdb.connect(str(tmp_path / "wh.duckdb")) as con:
        ensure_schema(con, catalogue)
        assert con.execute("SELECT count(*) FROM mart.gebiet_geometrie").fetchall() == [(0,)]
        assert indicator_maps(con, catalogue) == {}
