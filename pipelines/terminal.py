"""Printing delivered or configured text on the terminal: as text, never as markup or codes."""

import re

from rich.markup import escape

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""Control characters except tab and line feed (e.g. the escape of terminal codes)."""


def printable(value: object) -> str:
    return CONTROL.sub("", str(value))


def shown(value: object) -> str:
    """For rich output: printable and with markup brackets escaped."""
    return escape(printable(value))
