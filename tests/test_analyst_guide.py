"""Every SQL example and the Python snippet of warehouse/README.md run on the sample copy."""

from __future__ import annotations

import re

import duckdb
import pytest

from pipelines.settings import PROJECT_ROOT

GUIDE = (PROJECT_ROOT / "warehouse" / "README.md").read_text(encoding="utf-8")
SQL_EXAMPLES = re.findall(r"```sql\n(.*?)```", GUIDE, flags=re.DOTALL)
PYTHON_EXAMPLES = re.findall(r"```python\n(.*?)```", GUIDE, flags=re.DOTALL)
DEFAULT_PATH = "warehouse/published/kekiz.duckdb"


def test_the_guide_has_at_least_eight_examples():
    assert len(SQL_EXAMPLES) >= 8


@pytest.mark.parametrize("query", SQL_EXAMPLES, ids=lambda q: q.split("\n")[0][:40])
def test_sql_example_runs_and_answers(sample_run, query):
    _, settings = sample_run
    with duckdb.connect(str(settings.published), read_only=True) as con:
        rows = con.sql(query).fetchall()
    assert rows, "the example returns no rows on the sample"


def test_python_snippet_runs(sample_run):
    _, settings = sample_run
    [snippet] = PYTHON_EXAMPLES
    assert DEFAULT_PATH in snippet
    namespace: dict = {}
    exec(snippet.replace(DEFAULT_PATH, str(settings.published)), namespace)
    assert set(namespace["frame"]["ebene"]) == {"Stadt"} and len(namespace["frame"]) > 0


def test_no_example_takes_the_current_year_as_max_jahr():
    """The latest year may be partial: the examples use mart.jahre.letztes_vollstaendiges."""
    assert not [q for q in SQL_EXAMPLES if "max(jahr)" in q.lower()]
