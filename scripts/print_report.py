"""Print an export's bericht.html to PDF in headless Chromium and check how it prints.

    uv run python scripts/print_report.py [exports/<package>/bericht.html] [--pdf FILE]

Without a path, the newest package under the export folder. Exit 0 when it prints well,
1 with a list of problems, 2 without a browser (``make browser`` installs Chromium).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from indicators.export.printing import check_print, find_browser
from pipelines.settings import Settings


def newest_report() -> Path | None:
    reports = sorted(Settings.from_env().export_dir.glob("*/bericht.html"),
                     key=lambda p: p.stat().st_mtime)  # fmt: skip
    return reports[-1] if reports else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", type=Path, nargs="?", help="bericht.html")
    parser.add_argument("--pdf", type=Path, help="PDF to write (default: <package>_bericht.pdf)")
    args = parser.parse_args()
    report = args.report or newest_report()
    browser = find_browser()
    if report is None or browser is None:
        print("Kein Bericht gefunden." if report is None else "Kein Chromium: make browser")
        return 2
    pdf = args.pdf or Path.cwd() / f"{report.parent.name}_bericht.pdf"
    pages, problems = check_print(report, pdf, browser)
    print(f"{pdf}: {pages} Seiten")
    for problem in problems:
        print(f"  {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
