"""HTML pages of the export from templates (``templates/``) with every value escaped."""

from __future__ import annotations

from pathlib import Path

import jinja2

TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
)


def render(template: str, **context: object) -> str:
    return TEMPLATES.get_template(template).render(**context)
