"""Turning what a library step reports into what the Dagster UI shows."""

from __future__ import annotations

import re
from pathlib import Path

import dagster as dg
import pandas as pd

from indicators.display.german import plain
from indicators.display.summary import Chart, CheckResult, Listing, StepResult, Summary

RETRY_ON_FAILURE_TAG = "dagster/retry_on_asset_or_op_failure"
"""Run retries (dagster.yaml) skip a run tagged ``false`` here when a step failed."""


def table(listing: Listing) -> dg.TableMetadataValue:
    """The first rows as a Dagster table; decimals as text with a decimal comma."""
    head = listing.frame.head(listing.limit)
    kinds = {name: _column_type(head[name]) for name in head.columns}
    return dg.MetadataValue.table(
        records=[
            dg.TableRecord({name: _cell(value, kinds[name]) for name, value in row.items()})
            for row in head.to_dict("records")
        ],
        schema=dg.TableSchema(
            columns=[dg.TableColumn(str(name), kind) for name, kind in kinds.items()]
        ),
    )


def _column_type(column: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(column):
        return "bool"
    if pd.api.types.is_integer_dtype(column):
        return "int"
    return "string"


def _cell(value: object, kind: str) -> str | int | bool | None:
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return None
    if kind == "int":
        return int(value)  # type: ignore[call-overload]
    if kind == "bool":
        return bool(value)
    return plain(value) if isinstance(value, float) else str(value)


def chart(item: Chart) -> dg.MetadataValue:
    """The chart under its title, with its legend line when it has one."""
    title = _markdown_text(item.title)
    caption = f"\n\n_{_markdown_text(item.caption)}_" if item.caption else ""
    return dg.MetadataValue.md(f"**{title}**\n\n![{title}]({item.uri}){caption}")


def _markdown_text(text: str) -> str:
    """Delivered text (e.g. a measure's title) as text, never as Markdown."""
    return re.sub(r"([\\`*_\[\]<>#|])", r"\\\1", text)


def as_metadata(summary: Summary) -> dict[str, object]:
    """Tables as Dagster tables (with a count of rows left out), charts as images, decimals as
    text with a decimal comma, paths as paths."""
    metadata: dict[str, object] = {}
    for name, item in summary.items():
        if isinstance(item, Listing):
            metadata[name] = table(item)
            if len(item.frame) > item.limit:
                metadata[f"{name}_weitere_zeilen"] = len(item.frame) - item.limit
        elif isinstance(item, Chart):
            metadata[name] = chart(item)
        elif isinstance(item, Path):
            metadata[name] = dg.MetadataValue.path(str(item))
        elif isinstance(item, float):
            metadata[name] = dg.MetadataValue.text(plain(item))
        else:
            metadata[name] = item
    return metadata


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
