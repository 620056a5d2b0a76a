"""Small helpers that turn frames into Dagster metadata for the UI."""

from __future__ import annotations

import dagster as dg
import pandas as pd

PREVIEW_ROWS = 10


def markdown_table(frame: pd.DataFrame, limit: int = PREVIEW_ROWS) -> dg.MetadataValue:
    """A Markdown table of the first rows (shown as a table in the Dagster UI)."""
    head = frame.head(limit)
    if head.empty:
        return dg.MetadataValue.md("_(keine Zeilen)_")

    def cell(value: object) -> str:
        return "" if pd.isna(value) else str(value).replace("|", "\\|")

    lines = [
        "| " + " | ".join(map(str, head.columns)) + " |",
        "|" + "---|" * len(head.columns),
        *("| " + " | ".join(cell(v) for v in row) + " |" for row in head.itertuples(index=False)),
    ]
    if len(frame) > limit:
        lines.append(f"\n_… {len(frame) - limit} weitere Zeilen_")
    return dg.MetadataValue.md("\n".join(lines))


def image(uri: str, title: str) -> dg.MetadataValue:
    """An embedded image (data URI) as Markdown metadata."""
    return dg.MetadataValue.md(f"![{title}]({uri})")
