"""The field list for offices: every canonical field of a source, how it is delivered and which
indicators need it (``kekiz fields``)."""

from __future__ import annotations

import pandas as pd

from indicators.compute.catalogue import Catalogue
from indicators.ingest.mapping import load_mapping
from schemas.fields import field_kind
from schemas.source import SUPPRESSED_COLUMN, SourceSchema

KINDS = {
    "year": "Jahr",
    "count": "Anzahl",
    "number": "Zahl",
    "date": "Datum (TT.MM.JJJJ)",
    "bool": "ja/nein",
    "text": "Text",
}
COLUMNS = ("Feld", "Spaltentitel (Standard)", "Art", "Pflicht", "Verwendet für")


def field_list(source: SourceSchema, catalogue: Catalogue) -> pd.DataFrame:
    """One row per canonical field of ``source``, in the order of its schema."""
    titles = load_mapping(source.name).columns
    uses: dict[str, list[str]] = {}
    for ind in catalogue.for_source(source.name):
        for name in dict.fromkeys([*ind.numerator, *ind.denominator]):
            uses.setdefault(name, []).append(ind.id)
    if coverage := catalogue.coverage.get(source.name):
        for name in (*coverage.covered, *coverage.population):
            uses.setdefault(name, []).append("Erfassungsgrad (Teilerhebung)")
    rows = [
        (
            name,
            " / ".join(titles.get(name, ())),
            KINDS[field_kind(column)],
            "ja" if column.required else "nein",
            ", ".join(uses.get(name, [])),
        )
        for name, column in source.columns().items()
        if name != SUPPRESSED_COLUMN
    ]
    return pd.DataFrame(rows, columns=list(COLUMNS))


def field_page(sources: list[SourceSchema], catalogue: Catalogue) -> str:
    """The field lists of ``sources`` as one Markdown page (German)."""
    parts = [
        "# Felder je Quelle",
        "",
        "Erzeugt mit `kekiz fields --markdown`. Pflicht sind nur die Schlüsselfelder; jedes "
        "andere Feld darf fehlen – die Indikatoren, die es brauchen, sind dann „nicht "
        "geliefert“. „Spaltentitel (Standard)“ sind die Titel der mitgelieferten "
        "Spaltenzuordnung (`raw_data/mappings/`); eine Kommune mit anderen Titeln schreibt "
        "ihre eigene Zuordnung.",
    ]
    for source in sources:
        table = field_list(source, catalogue)
        parts += ["", f"## {source.title} (`{source.name}`)", "", source.description, ""]
        parts.append("| " + " | ".join(COLUMNS) + " |")
        parts.append("|" + "---|" * len(COLUMNS))
        for row in table.itertuples(index=False):
            cells = [str(value).replace("|", "\\|") for value in row]
            parts.append("| " + " | ".join([f"`{cells[0]}`", *cells[1:]]) + " |")
    return "\n".join(parts) + "\n"
