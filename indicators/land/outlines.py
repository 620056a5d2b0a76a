"""The municipalities' outlines for the Land's maps: ``umrisse.geojson`` in the Land folder.

Export packages have a fixed list of files (``format.py``), so outlines do not come with the
packages: the Land keeps one file of its own, one feature per municipality with the property
``ags``, in any CRS GDAL knows (GeoJSON, GeoPackage or Shapefile; read with pyogrio) and
reprojected here to ETRS89 / UTM 32N (EPSG:25832), a metric CRS for NRW.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyogrio
import shapely

from indicators.compute.geometry import polygonal, transform

OUTLINES = "umrisse.geojson"
METRIC_CRS = "EPSG:25832"
WGS84 = "EPSG:4326"


class OutlineError(ValueError):
    """The outline file cannot be used; the message says why, in German."""


def read_outlines(path: Path) -> pd.DataFrame:
    """ags and geometry (shapely, EPSG:25832) of every feature of ``path``; a file without a
    CRS is read as WGS84 lon/lat (the GeoJSON default)."""
    try:
        meta, _, wkb, fields = pyogrio.raw.read(path)
    except Exception as exc:  # pyogrio raises several GDAL errors
        raise OutlineError(f"Umrisse {path.name}: Datei nicht lesbar ({exc})") from exc
    names = list(meta["fields"])
    if "ags" not in names:
        raise OutlineError(f"Umrisse {path.name}: Eigenschaft 'ags' fehlt")
    geometries = transform(shapely.from_wkb(wkb), meta.get("crs") or WGS84, METRIC_CRS)
    frame = pd.DataFrame({"ags": [_ags(a) for a in fields[names.index("ags")]],
                          "geometry": [_polygonal(g) for g in geometries]})  # fmt: skip
    kept = frame["geometry"].map(lambda g: g is not None and not g.is_empty)
    return frame[kept].drop_duplicates("ags").reset_index(drop=True)


def _ags(value: object) -> str:
    """The key as the packages write it: a key stored as a number (5119000, 5119000.0) has
    lost its leading zero, which NRW's keys (05…) always have; 7 and 4 digits are padded to
    the 8 of a municipality and the 5 of a district."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if text.endswith(".0") and text[:-2].isdigit():  # a number in a column of text
        text = text[:-2]
    if text.isdigit() and len(text) in (4, 7):
        text = text.zfill(len(text) + 1)
    return text


def _polygonal(geometry):
    """The valid (Multi)Polygon of ``geometry``: lines and points of a repaired shape are
    dropped; None for a missing or empty geometry."""
    if geometry is None or geometry.is_empty:
        return None
    return polygonal(shapely.make_valid(geometry))
