"""The export contract: Great Expectations suites derived from the package schema and the
column declarations, run as checkpoints before the package is finalised.

Great Expectations is imported inside ``run_contract`` only: the import costs seconds and
nothing else in the pipeline needs it.
"""

import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

from indicators.export.errors import ExportRefused
from indicators.export.html import render
from indicators.export.spec import POOLING_KEY, POOLING_TABLES, TABLES_BY_NAME
from indicators.export.tables import ExportTables

DESCRIPTIONS = {
    "expect_table_columns_to_match_ordered_list": "Spalten in der vereinbarten Reihenfolge",
    "expect_table_row_count_to_be_between": "Zeilenzahl im erlaubten Bereich",
    "expect_column_values_to_not_be_null": "Schlüssel immer angegeben",
    "expect_column_values_to_be_unique": "Schlüssel eindeutig",
    "expect_compound_columns_to_be_unique": "Zusammengesetzter Schlüssel eindeutig",
    "expect_column_values_to_be_in_set": "Fremdschlüssel verweist auf eine vorhandene Zeile",
    "expect_column_values_to_be_between": "Werte im erlaubten Bereich",
    "expect_column_values_to_not_be_in_set": "Keine Fallzahl unter der Geheimhaltungsschwelle",
    "expect_column_pair_values_a_to_be_greater_than_b": "Intervall um den Schätzwert geordnet",
}
"""German description of each expectation type the contract uses (GX's snake-case name)."""
POOLING_TOLERANCE = 1e-9
"""Relative tolerance of the sums of the pooling statistics (rounding of float sums)."""
POOLING_CHECKS = {
    "pruef__einfluss_summe": (
        "Einflüsse der Gebiete summieren sich je Schätzwert zu 0 (|Σ einfluss| ≤ 1e-9 · max(1, "
        "Σ |einfluss|))"
    ),
    "pruef__zellen_abweichung": (
        "Gewichte der behandelten Quartiersjahre der Gebiete summieren sich je Schätzwert zu "
        "gewichte_summe (Abweichung ≤ 1e-9 · max(1, gewichte_summe))"
    ),
    "pruef__gewichte_ohne_gebiet": (
        "Gewichte ohne ein Gebiet höchstens gewichte_summe des Schätzwerts "
        "(Überschreitung ≤ 1e-9 · max(1, gewichte_summe))"
    ),
}
"""Helper columns of table wirkung_gebiete (``pooling_checks``), each a relative deviation
that must lie between 0 and ``POOLING_TOLERANCE``, with the German description of its check."""
DESCRIPTION_KEY = "beschreibung"
"""Key of the German description beside ``expectation_type`` in pruefbericht.json."""
ESTIMATE_INTERVALS = {
    "indikatoren": "wert",
    "massnahmen_output": "reichweite",
    "massnahmen_wirkung": "effekt_pp",
    "massnahmen_wirkung_verlauf": "effekt_pp",
}


@dataclass(frozen=True)
class Expectation:
    table: str
    kind: str
    """Name of the GX expectation class."""
    kwargs: dict


@dataclass(frozen=True)
class ContractResult:
    success: bool
    results: dict
    """The GX checkpoint results per table, as JSON-ready data."""
    failures: list[str]
    """One German line per failed expectation."""


class ContractViolation(ExportRefused):
    """The tables break the export contract; nothing is exported."""


def expectations(
    package: dict, tables: ExportTables, factors: dict[str, float], threshold: int
) -> list[Expectation]:
    """The suite of every resource of ``package`` (a datapackage dict)."""
    out = []
    for resource in package["resources"]:
        name, schema = resource["name"], resource["schema"]
        frame = tables.frames[name]

        def add(kind: str, table: str = name, **kwargs) -> None:
            out.append(Expectation(table, kind, kwargs))

        helpers = [_key_column(fk["fields"]) for fk in schema.get("foreignKeys", [])]
        if name == "wirkung_gebiete":
            helpers += list(POOLING_CHECKS)
        columns = [f["name"] for f in schema["fields"]]
        add("ExpectTableColumnsToMatchOrderedList",
            column_list=columns + [h for h in helpers if h not in columns])  # fmt: skip
        without_register = tables.frames["massnahmen"].empty and _about_measures(resource)
        # every link's statistics may be left out (disclosure.withheld_links)
        may_be_empty = without_register or name in POOLING_TABLES
        add("ExpectTableRowCountToBeBetween", min_value=0 if may_be_empty else 1)
        key = schema["primaryKey"]
        for column in key:
            add("ExpectColumnValuesToNotBeNull", column=column)
        if len(key) == 1:
            add("ExpectColumnValuesToBeUnique", column=key[0])
        else:
            add("ExpectCompoundColumnsToBeUnique", column_list=key)
        for fk in schema.get("foreignKeys", []):
            parent = tables.frames[fk["reference"]["resource"]]
            allowed = _key_strings(parent, fk["reference"]["fields"])
            add("ExpectColumnValuesToBeInSet", column=_key_column(fk["fields"]),
                value_set=sorted(allowed))  # fmt: skip
        for column in TABLES_BY_NAME[name].counts:
            if column in frame.columns:
                add("ExpectColumnValuesToBeBetween", column=column, min_value=0)
                add("ExpectColumnValuesToNotBeInSet", column=column,
                    value_set=list(range(1, threshold)))  # fmt: skip
        for column in columns:
            bounds = tables.docs[name, column].range
            if bounds is not None:
                add("ExpectColumnValuesToBeBetween", column=column, min_value=bounds[0],
                    max_value=bounds[1])  # fmt: skip
        if name == "indikatoren":
            for factor in sorted(set(factors.values())):
                ids = sorted(i for i, f in factors.items() if f == factor)
                for column in ("wert", "ki_unten", "ki_oben"):
                    add("ExpectColumnValuesToBeBetween", column=column, min_value=0,
                        max_value=factor, row_condition=("indikator_id", ids))  # fmt: skip
        if name == "wirkung_gebiete":
            for column in POOLING_CHECKS:
                add("ExpectColumnValuesToBeBetween", column=column, min_value=0,
                    max_value=POOLING_TOLERANCE)  # fmt: skip
        if name in ESTIMATE_INTERVALS:
            estimate = ESTIMATE_INTERVALS[name]
            for low, high in (("ki_unten", estimate), (estimate, "ki_oben")):
                add("ExpectColumnPairValuesAToBeGreaterThanB", column_A=high, column_B=low,
                    or_equal=True, ignore_row_if="either_value_is_missing")  # fmt: skip
    return out


def _about_measures(resource: dict) -> bool:
    """The register or a table of its results (empty for a municipality without one)."""
    return resource["name"].startswith("massnahmen")


def _key_column(fields: list[str]) -> str:
    return fields[0] if len(fields) == 1 else "fk__" + "__".join(fields)


def _key_strings(frame: pd.DataFrame, fields: list[str]) -> set[str]:
    return set(_joined(frame, fields).dropna())


def _joined(frame: pd.DataFrame, fields: list[str]) -> pd.Series:
    if len(fields) == 1:
        return frame[fields[0]].astype("string")
    if frame.empty:  # agg over no rows would return a frame, not a column
        return pd.Series(index=frame.index, dtype="string")
    return frame[fields].astype("string").agg("|".join, axis=1)


def validation_frame(frame: pd.DataFrame, foreign_keys: list[dict]) -> pd.DataFrame:
    """The table as GX sees it: compound foreign keys joined into one helper column."""
    out = frame.copy()
    for fk in foreign_keys:
        if len(fk["fields"]) > 1:
            out[_key_column(fk["fields"])] = _joined(frame, fk["fields"])
    return out


def pooling_checks(areas: pd.DataFrame, totals: pd.DataFrame) -> pd.DataFrame:
    """The helper columns of ``POOLING_CHECKS`` for the rows of wirkung_gebiete (``areas``),
    with the rows of wirkung_summen (``totals``): per row the relative deviation of its
    estimate's sums, or of its leave-one-out weight, from what the estimator guarantees.
    Empty where the estimate has no row in wirkung_summen (the foreign key fails then)."""
    keys = list(POOLING_KEY)
    numbers = areas[["einfluss", "behandelte_zellen"]].astype(float)
    numbers["einfluss_betrag"] = numbers["einfluss"].abs()
    sums = numbers.groupby([areas[k] for k in keys], sort=False, dropna=False).transform("sum")
    score_sum, score_size = sums["einfluss"], sums["einfluss_betrag"]
    cells = sums["behandelte_zellen"]
    weights = areas[keys].merge(
        totals[[*keys, "gewichte_summe"]], on=keys, how="left"
    )["gewichte_summe"].astype(float).to_numpy()  # fmt: skip
    scale = np.maximum(1.0, np.abs(weights))
    return pd.DataFrame(
        {
            "pruef__einfluss_summe": (score_sum.abs() / np.maximum(1.0, score_size)).to_numpy(),
            "pruef__zellen_abweichung": np.abs(cells.to_numpy() - weights) / scale,
            "pruef__gewichte_ohne_gebiet": np.maximum(
                0.0, areas["gewichte_ohne_gebiet"].astype(float).to_numpy() - weights
            )
            / scale,
        },
        index=areas.index,
    )


def run_contract(package: dict, suites: list[Expectation], tables: ExportTables) -> ContractResult:
    """One GX checkpoint per table in an ephemeral context; nothing is written to disk."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    import great_expectations.expectations as gxe
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.expectations.row_conditions import Column

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_pandas("auswertungspaket")
    results, failures = {}, []
    for resource in package["resources"]:
        name = resource["name"]
        batch = source.add_dataframe_asset(name).add_batch_definition_whole_dataframe(name)
        suite = context.suites.add(gx.ExpectationSuite(name=name))
        for expectation in (e for e in suites if e.table == name):
            kwargs = dict(expectation.kwargs)
            if "row_condition" in kwargs:  # (column, allowed values)
                column, values = kwargs["row_condition"]
                kwargs["row_condition"] = Column(column).is_in(values)
            suite.add_expectation(getattr(gxe, expectation.kind)(**kwargs))
        validation = context.validation_definitions.add(
            gx.ValidationDefinition(name=name, data=batch, suite=suite)
        )
        checkpoint = context.checkpoints.add(
            gx.Checkpoint(name=f"export_{name}", validation_definitions=[validation])
        )
        frame = validation_frame(tables.frames[name], resource["schema"].get("foreignKeys", []))
        if name == "wirkung_gebiete":
            checks = pooling_checks(tables.frames[name], tables.frames["wirkung_summen"])
            frame = pd.concat([frame, checks], axis=1)
        outcome = checkpoint.run(batch_parameters={"dataframe": _plain(frame)})
        described = outcome.describe_dict()
        results[name] = described
        for run in described["validation_results"]:
            for e in run["expectations"]:
                e[DESCRIPTION_KEY] = POOLING_CHECKS.get(
                    e["kwargs"].get("column"), DESCRIPTIONS[e["expectation_type"]]
                )
            failures += [_failure(name, e) for e in run["expectations"] if not e["success"]]
    return ContractResult(not failures, results, failures)


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Nullable pandas dtypes as plain numpy ones (NaN / None for missing) for GX."""
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if pd.api.types.is_integer_dtype(series) or pd.api.types.is_float_dtype(series):
            out[column] = series.astype("float64")
        elif not pd.api.types.is_datetime64_any_dtype(series):
            out[column] = series.astype(object).where(series.notna(), None)
    return out


def _failure(table: str, result: dict) -> str:
    kwargs = {k: v for k, v in result["kwargs"].items() if k not in ("batch_id", "value_set")}
    detail = result.get("result", {})
    examples = detail.get("partial_unexpected_list", [])[:5]
    count = detail.get("unexpected_count")
    text = f"Tabelle {table}: {result[DESCRIPTION_KEY]} ({result['expectation_type']}) {kwargs}"
    if count is not None:
        text += f" – {count} Zeilen verletzen die Regel, z. B. {examples}"
    return text


SECRECY_RULE = (
    "Geheimhaltung: keine gesperrte Zelle genau berechenbar oder enger als 2 × Schwelle "
    "eingrenzbar, keine veröffentlichte Fallzahl oder Differenz verschachtelter Fallzahlen "
    "unter der Schwelle"
)


def html_report(result: ContractResult, title: str, secrecy: dict | None) -> str:
    """A self-contained German HTML rendering of the checkpoint results and of the summary
    of the disclosure audit (``secrecy``, from ``audit.AuditResult.summary``; None for a
    perturbed package)."""
    rows = []
    for table, described in result.results.items():
        for run in described["validation_results"]:
            for e in run["expectations"]:
                kwargs = {k: v for k, v in e["kwargs"].items() if k not in ("batch_id",)}
                if "value_set" in kwargs and len(kwargs["value_set"]) > 10:
                    kwargs["value_set"] = f"{len(kwargs['value_set'])} Werte"
                unexpected = e.get("result", {}).get("unexpected_count", "")
                status = "bestanden" if e["success"] else "NICHT bestanden"
                cells = [table, e[DESCRIPTION_KEY], str(kwargs), str(unexpected), status]
                rows.append({"success": e["success"], "cells": cells})
    if secrecy is not None:
        rows.append({"success": secrecy["bestanden"], "cells": [
            "alle Fallzahlen", SECRECY_RULE, str(secrecy), str(secrecy["zellen_verletzt"]),
            "bestanden" if secrecy["bestanden"] else "NICHT bestanden",
        ]})  # fmt: skip
    success = result.success and (secrecy is None or secrecy["bestanden"])
    verdict = "Alle Erwartungen erfüllt." if success else "Erwartungen verletzt."
    return render("pruefbericht.html", title=title, verdict=verdict, rows=rows)
