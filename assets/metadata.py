"""Turning what a library step reports into what the Dagster UI shows."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pandas as pd

from indicators.display.summary import Chart, CheckResult, Listing, StepResult, Summary

RETRY_ON_FAILURE_TAG = "dagster/retry_on_asset_or_op_failure"
"""Run retries (dagster.yaml) skip a run tagged ``false`` here when a step failed."""


def markdown_table(listing: Listing) -> dg.MetadataValue:
    """A Markdown table of the first rows (shown as a table in the Dagster UI)."""
    frame, limit = listing.frame, listing.limit
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


def as_metadata(summary: Summary) -> dict[str, object]:
    """Tables as Markdown tables, charts as embedded images, paths as paths."""

    def value(item: object) -> object:
        if isinstance(item, Listing):
            return markdown_table(item)
        if isinstance(item, Chart):
            return dg.MetadataValue.md(f"![{item.title}]({item.uri})")
        if isinstance(item, Path):
            return dg.MetadataValue.path(str(item))
        return item

    return {name: value(item) for name, item in summary.items()}


def materialized(context: dg.AssetExecutionContext, result: StepResult) -> dg.MaterializeResult:
    """Log the step's warnings and show its summary on the materialisation; a step that
    reports a failure fails with it (and its summary), which running again would not mend."""
    for warning in result.warnings:
        context.log.warning(warning)
    if result.failure is not None:
        context.instance.add_run_tags(context.run.run_id, {RETRY_ON_FAILURE_TAG: "false"})
        raise dg.Failure(description=result.failure, metadata=as_metadata(result.summary))
    return dg.MaterializeResult(metadata=as_metadata(result.summary))


def check_result(
    result: CheckResult, severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.ERROR
) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        passed=result.passed,
        severity=severity,
        description=result.description,
        metadata=as_metadata(result.summary),
    )
