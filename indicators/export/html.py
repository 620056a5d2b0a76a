"""HTML pages of the export from templates (``templates/``) with every value escaped."""

from __future__ import annotations

from pathlib import Path

import jinja2

FOLDER = Path(__file__).with_name("templates")


def environment(*folders: Path) -> jinja2.Environment:
    """Templates looked up in ``folders`` in order, every value escaped, undefined names an
    error."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(list(folders)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


TEMPLATES = environment(FOLDER)


def render(template: str, **context: object) -> str:
    return TEMPLATES.get_template(template).render(**context)
