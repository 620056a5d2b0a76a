"""The offline Sozialatlas, rebuilt from the published copy after every run."""

from datetime import datetime
from pathlib import Path

import dagster as dg

from assets.keys import PUBLISHED_KEY, PUBLISHING, SOZIALATLAS_KEY
from assets.resources import AtlasTarget, Warehouse
from indicators.atlas.site import build_atlas
from indicators.display.german import decimal
from indicators.export.errors import ExportRefused


@dg.asset(
    key=SOZIALATLAS_KEY,
    group_name=PUBLISHING,
    deps=[PUBLISHED_KEY],
    kinds={"html"},
    description=(
        "Der Sozialatlas zum Veröffentlichen: statische Webseiten ohne Netzzugriff im Ordner "
        "`atlas/<AGS>_<Datum>/` (Startseite `index.html`) mit einer Karte, dem Verlauf und "
        "der Tabelle je Indikator und einem Steckbrief je Gebiet der feinsten Ebene. Er "
        "zeigt die Werte eines Auswertungspakets ohne Fallzahlen, standardmäßig aus "
        "Fallzahlen, die mit dem Cell-Key-Verfahren überlagert sind (KEKIZ_ATLAS_METHOD, "
        "sonst gesperrt wie im Paket), und wird nach jeder Veröffentlichung neu geschrieben; "
        "bei Bedarf mit `kekiz atlas`."
    ),
)
def sozialatlas(
    context: dg.AssetExecutionContext, warehouse: Warehouse, atlas: AtlasTarget
) -> dg.MaterializeResult:
    try:
        result = build_atlas(
            Path(warehouse.published_path),
            Path(atlas.atlas_dir),
            threshold=atlas.threshold,
            cell_key=atlas.cell_key(),
            created=datetime.now(),
            progress=lambda step, done, total: context.log.debug(f"{step}: {done}/{total}"),
        )
    except ExportRefused as exc:
        raise dg.Failure(str(exc)) from exc
    context.log.info(f"Sozialatlas geschrieben: {result.folder}")
    return dg.MaterializeResult(
        metadata={
            "ordner": dg.MetadataValue.path(str(result.folder)),
            "startseite": dg.MetadataValue.path(str(result.folder / "index.html")),
            "seiten": result.pages,
            "indikatorseiten": result.indicator_pages,
            "gebietssteckbriefe": result.area_pages,
            "groesse_mb": dg.MetadataValue.float(round(result.bytes / 1e6, 2)),
            "dauer_s": dg.MetadataValue.float(round(result.seconds, 2)),
            "karten": "ja" if result.has_map else "nein: keine Gebietsgrenzen geliefert",
            "hinweis": f"{decimal(result.bytes / 1e6)} MB in {decimal(result.seconds)} s",
        }
    )
