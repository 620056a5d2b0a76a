"""All delivered sources, in an order that respects their references."""

from schemas.gebiete import GEBIETE
from schemas.kindertagesbetreuung import KINDERTAGESBETREUUNG
from schemas.massnahmen import MASSNAHMEN, MASSNAHMEN_UMSETZUNG, MASSNAHMEN_WIRKINDIKATOREN
from schemas.schuleingang import SCHULEINGANG
from schemas.schulwechsel import SCHULWECHSEL
from schemas.source import SourceSchema
from schemas.sozialstrukturatlas import SOZIALSTRUKTURATLAS

SOURCES: dict[str, SourceSchema] = {
    s.name: s
    for s in (
        GEBIETE,
        SOZIALSTRUKTURATLAS,
        SCHULEINGANG,
        SCHULWECHSEL,
        KINDERTAGESBETREUUNG,
        MASSNAHMEN,
        MASSNAHMEN_WIRKINDIKATOREN,
        MASSNAHMEN_UMSETZUNG,
    )
}
