"""Names of the Dagster graph: asset keys, groups, the writers' pool and tags.

They are what the office sees in the Dagster UI, so they are German domain nouns; an asset's
key names the warehouse table it writes.
"""

import dagster as dg

POOL = "duckdb_writer"
"""Every asset and check that opens the live warehouse takes the one slot of this pool."""

DELIVERIES = "lieferungen"
INDICATORS = "indikatoren"
MEASURES = "massnahmen"
PUBLISHING = "veroeffentlichung"
EXPORT = "export"

SCHEDULE_TAG = "kekiz/zeitplan"
YEARLY = "jaehrlich"
"""Assets tagged ``kekiz/zeitplan: jaehrlich`` run on the yearly schedule only."""

DELIVERY_TAG = "kekiz/lieferung"
"""Run tag for a run whose deliveries need attention: ``teilweise geladen`` or ``abgelehnt``."""


def staging_key(source: str) -> dg.AssetKey:
    return dg.AssetKey(["staging", source])


GEOMETRY_SOURCE = "geometrien"
"""The optional delivered source of the finest areas' polygons."""
GEOMETRY_KEY = dg.AssetKey(["core", "gebiet_geometrie"])
VALUES_KEY = dg.AssetKey(["core", "indikatorwerte"])
SOZIALINDEX_KEY = dg.AssetKey(["core", "sozialindex"])
OUTPUT_KEY = dg.AssetKey(["core", "massnahmen_output"])
EFFECT_KEY = dg.AssetKey(["core", "massnahmen_wirkung"])
COST_KEY = dg.AssetKey(["core", "massnahmen_kosten"])
PUBLISHED_KEY = dg.AssetKey(["veroeffentlichte_kopie"])
EXPORT_KEY = dg.AssetKey(["auswertungspaket"])
SOZIALATLAS_KEY = dg.AssetKey(["sozialatlas"])

LAND = "landesauswertung"
"""Group of the state-level evaluation (its own code location, ``pipelines/land.py``)."""
MUNICIPALITY_PACKAGES_KEY = dg.AssetKey(["kommunenpakete"])
LAND_COMPARISON_KEY = dg.AssetKey(["landesvergleich"])
LAND_REPORT_KEY = dg.AssetKey(["landesbericht"])
MUNICIPALITIES = dg.DynamicPartitionsDefinition(name="kommunen")
"""One partition per municipality (AGS or Kreisschlüssel), added by the package intake."""
