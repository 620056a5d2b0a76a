"""Print ``bericht.html`` to PDF in a headless Chromium and check that it prints well: the
print rules that keep table rows whole and repeat table headers, and a page count in bounds."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-pdf-header-footer",
)  # fmt: skip
"""No network: the report is self-contained and this machine's network is closed."""
PRINT_RULES = {
    ("tr", "break-inside: avoid"),
    ("thead", "display: table-header-group"),
    ("h2", "break-before: page"),
}
"""(selector, declaration) the report's ``@media print`` block must hold."""
FRONT_PAGES = 6
PAGES_PER_SECTION = 1.5
"""A measure or an indicator (one ``<h3 id=...>`` each) takes at most this many pages."""
TIMEOUT_SECONDS = 180


def find_browser() -> str | None:
    """Path of the first Chromium-like browser on the PATH."""
    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


def print_rules(html: str) -> set[tuple[str, str]]:
    """(selector, declaration) of every rule in the page's ``@media print`` blocks."""
    found = set()
    for start in (m.end() for m in re.finditer(r"@media\s+print\s*\{", html)):
        depth, end = 1, start
        while depth:
            depth += {"{": 1, "}": -1}.get(html[end], 0)
            end += 1
        for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", html[start : end - 1]):
            declarations = {
                f"{name.strip()}: {' '.join(value.split())}"
                for name, value in (d.split(":", 1) for d in body.split(";") if ":" in d)
            }
            found |= {(s.strip(), d) for s in selectors.split(",") for d in declarations}
    return found


def print_pdf(html: Path, pdf: Path, browser: str) -> int:
    """Print ``html`` to ``pdf``; the number of pages."""
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [browser, *FLAGS, f"--user-data-dir={profile}", f"--print-to-pdf={pdf}",
             html.resolve().as_uri()],
            check=True, capture_output=True, timeout=TIMEOUT_SECONDS,
        )  # fmt: skip
    return page_count(pdf.read_bytes())


def page_count(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))


def check_print(html: Path, pdf: Path, browser: str) -> tuple[int, list[str]]:
    """Pages of the printed report and what is wrong with how it prints (German)."""
    page = html.read_text(encoding="utf-8")
    problems = [
        f"Druckregel fehlt: {selector} {{ {declaration} }}"
        for selector, declaration in sorted(PRINT_RULES - print_rules(page))
    ]
    pages = print_pdf(html, pdf, browser)
    limit = FRONT_PAGES + PAGES_PER_SECTION * page.count("<h3 id=")
    if not 0 < pages <= limit:
        problems.append(f"{pages} Seiten, erwartet 1 bis {limit:.0f}")
    return pages, problems
