"""The optional source ``geometrien``: the finest areas' polygons and their dissolved parents."""

import dagster as dg

from assets.deliveries import IngestionConfig, load_source
from assets.keys import DELIVERIES, GEOMETRY_KEY, GEOMETRY_SOURCE, POOL, staging_key
from assets.metadata import check_result
from assets.resources import DeliveryFolders, Warehouse
from indicators.compute.catalogue import Catalogue
from indicators.ingest.geometries import GEOMETRY_SUFFIXES
from indicators.store.delivery_checks import run_findings
from indicators.store.geometries import AREA_TOLERANCE_PERCENT, area_check, load_geometries

WARN = dg.AssetCheckSeverity.WARN


def incoming_geometry_config(file_name: str) -> dg.RunConfig:
    """Run configuration that loads one geometry file from ``incoming/geometrien/``."""
    op_name = GEOMETRY_KEY.to_python_identifier()
    return dg.RunConfig(ops={op_name: IngestionConfig(eingangsdateien=[file_name])})


def geometry_asset(catalogue: Catalogue) -> dg.AssetsDefinition:
    @dg.asset(
        key=GEOMETRY_KEY,
        description=(
            "Gebietsgeometrien (freiwillige Lieferung): die Polygone der Gebiete der feinsten "
            "Ebene als GeoJSON, GeoPackage oder gezipptes Shapefile im Koordinatensystem des "
            "Amts. Liest die vom Sensor gemeldete Datei in `incoming/geometrien/` oder sonst "
            "alle Dateien im Lieferordner `geometrien/`, archiviert sie (SHA-256), prüft jedes "
            "Objekt (Polygon gültig oder reparierbar, Gebietsschlüssel bekannt, feinste Ebene, "
            "nicht doppelt) und den ganzen Satz (jedes Gebiet vorhanden, keine großen "
            "Überlappungen oder Lücken) und schreibt `core.gebiet_geometrie`. Übergeordnete "
            "Gebiete werden aus ihren Teilgebieten zusammengesetzt, nie geliefert. Abgewiesene "
            "Objekte stehen mit Grund in `quarantine.geometrien`. Ohne Ordner `geometrien/` "
            "gelingt der Schritt mit dem Hinweis „keine Geometrien geliefert“."
        ),
        group_name=DELIVERIES,
        kinds={"duckdb", "shapely"},
        deps=[staging_key("gebiete"), staging_key("sozialstrukturatlas")],
        pool=POOL,
    )
    def _geometries(
        context: dg.AssetExecutionContext,
        config: IngestionConfig,
        warehouse: Warehouse,
        folders: DeliveryFolders,
    ) -> dg.MaterializeResult:
        return load_source(
            context, config, warehouse, folders, GEOMETRY_SOURCE, load_geometries, catalogue,
            GEOMETRY_SUFFIXES,
        )  # fmt: skip

    return _geometries


@dg.asset_check(
    asset=GEOMETRY_KEY,
    name="flaeche_wie_geliefert",
    blocking=False,
    pool=POOL,
    required_resource_keys={"warehouse"},
    description=(
        "Warnt, wenn die aus der Geometrie berechnete Fläche eines Gebiets um mehr als "
        f"{AREA_TOLERANCE_PERCENT:.0f} % von der im Sozialstrukturatlas gelieferten Fläche "
        "(flaeche_km2, jüngstes Jahr) abweicht, und listet jede Abweichung."
    ),
)
def flaeche_wie_geliefert(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
    with context.resources.warehouse.connect() as con:
        return check_result(area_check(con), WARN)


@dg.asset_check(
    asset=GEOMETRY_KEY,
    name="lieferungen_ohne_befund",
    blocking=False,
    pool=POOL,
    required_resource_keys={"warehouse"},
    description=(
        "Warnt, wenn in diesem Lauf eine Geometrie-Datei abgelehnt, ein Objekt in die "
        "Quarantäne verschoben oder repariert wurde oder Gebiete fehlen, sich überlappen oder "
        "Lücken lassen, und listet jeden Befund."
    ),
)
def geometrien_ohne_befund(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
    with context.resources.warehouse.connect() as con:
        return check_result(run_findings(con, GEOMETRY_SOURCE, context.run.run_id), WARN)


GEOMETRY_CHECKS = [flaeche_wie_geliefert, geometrien_ohne_befund]
