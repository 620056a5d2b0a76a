"""Open a Sozialatlas in headless Chromium from the file system and check that it works offline.

    uv run python scripts/check_atlas.py [atlas/<AGS>_<Datum>] [--gebiete N] [--ohne-karten]
                                         [--bildschirmfoto ORDNER]

Without a folder, the newest atlas under the atlas folder. Every request of every page is
routed: a file:// request is served, any other is aborted and recorded. It checks the index
page (the area search finds an area), every indicator page (a map with a path per area whose
colours change with the year selector) and the first N area profiles (the locator map). Exit 0
when all holds, 1 with a list of problems, 2 without a browser (``make browser`` installs
Chromium) or without an atlas.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from indicators.export.printing import FLAGS, find_browser
from pipelines.settings import Settings

TIMEOUT_MS = 30_000


def newest_atlas() -> Path | None:
    sites = sorted(Settings.from_env().atlas_dir.glob("*/index.html"),
                   key=lambda p: p.stat().st_mtime)  # fmt: skip
    return sites[-1].parent if sites else None


def check_site(site: Path, browser_path: str, areas: int = 5, maps_required: bool = True,
               screenshots: Path | None = None) -> tuple[list[str], list[str], int]:  # fmt: skip
    """(problems, external requests, pages opened) of the atlas in ``site``."""
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    external: list[str] = []
    opened = 0
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=browser_path, args=list(FLAGS))
        context = browser.new_context(viewport={"width": 1200, "height": 900}, locale="de-DE")

        def route(r) -> None:
            if r.request.url.startswith("file://"):
                r.continue_()
            else:
                external.append(r.request.url)
                r.abort()

        context.route("**/*", route)
        page = context.new_page()
        page.on("pageerror", lambda exc: problems.append(f"Skriptfehler: {exc}"))

        def visit(path: Path) -> None:
            nonlocal opened
            page.goto(path.resolve().as_uri(), wait_until="load", timeout=TIMEOUT_MS)
            opened += 1

        visit(site / "index.html")
        problems += _check_search(page)
        if screenshots:
            screenshots.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshots / "index.png"), full_page=True)
        indicator_pages = sorted((site / "indikatoren").glob("*.html"))
        if not indicator_pages:
            problems.append("keine Indikatorseite")
        for number, path in enumerate(indicator_pages):
            visit(path)
            problems += [f"{path.name}: {m}" for m in _check_map(page, maps_required)]
            if screenshots and number == 0:
                page.screenshot(path=str(screenshots / "indikator.png"), full_page=True)
        area_pages = sorted((site / "gebiete").glob("*.html"))
        if not area_pages:
            problems.append("kein Gebietssteckbrief")
        for number, path in enumerate(area_pages[:areas]):
            visit(path)
            if maps_required and page.locator("svg.karte path.hervorgehoben").count() != 1:
                problems.append(f"{path.name}: Lagekarte ohne hervorgehobenes Gebiet")
            if page.locator("table.werte tbody tr").count() == 0:
                problems.append(f"{path.name}: Steckbrief ohne Werte")
            if screenshots and number == 0:
                page.screenshot(path=str(screenshots / "steckbrief.png"), full_page=True)
        browser.close()
    problems += [f"Anfrage ins Netz: {url}" for url in external]
    return problems, external, opened


def _check_search(page) -> list[str]:
    names = page.locator("#gebietsliste li a").all_inner_texts()
    if not names:
        return ["Übersicht: keine Gebietsliste"]
    name = names[len(names) // 2]
    page.fill("#gebietssuche", name[: max(4, len(name) - 2)])
    page.dispatch_event("#gebietssuche", "input")
    visible = page.locator("#gebietsliste li:not([hidden]) a").all_inner_texts()
    problems = []
    if name not in visible:
        problems.append(f"Übersicht: die Suche nach {name!r} findet das Gebiet nicht")
    if len(names) > 1 and len(visible) == len(names) and len(set(names)) > 1:
        problems.append("Übersicht: die Suche filtert nicht")
    page.fill("#gebietssuche", "")
    page.dispatch_event("#gebietssuche", "input")
    return problems


def _check_map(page, required: bool) -> list[str]:
    paths = page.locator("svg.karte path[data-gebiet]")
    if paths.count() == 0:
        return ["keine Karte (svg path)"] if required else []
    fills = _fills(page)
    years = page.locator("#jahr option").evaluate_all("os => os.map(o => o.value)")
    if len(years) < 2:
        return []
    changed = False
    for year in years:
        page.select_option("#jahr", year)
        if _fills(page) != fills:
            changed = True
            break
    if not changed and len(set(fills)) > 1:
        return ["die Jahresauswahl ändert die Farben nicht"]
    return []


def _fills(page) -> list[str]:
    return page.locator("svg.karte path[data-gebiet]").evaluate_all(
        "ps => ps.map(p => p.getAttribute('fill'))"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("atlas", type=Path, nargs="?", help="Ordner des Atlas")
    parser.add_argument("--gebiete", type=int, default=5, help="geöffnete Steckbriefe")
    parser.add_argument("--ohne-karten", action="store_true",
                        help="ein Atlas ohne Gebietsgrenzen ist kein Fehler")  # fmt: skip
    parser.add_argument("--bildschirmfoto", type=Path, metavar="ORDNER",
                        help="Bildschirmfotos (PNG) in diesen Ordner")  # fmt: skip
    args = parser.parse_args()
    site = args.atlas or newest_atlas()
    if site is None or not (site / "index.html").is_file():
        print("Kein Sozialatlas gefunden: zuerst `kekiz atlas` ausführen.", file=sys.stderr)
        return 2
    browser = find_browser()
    if browser is None:
        print("Kein Chromium gefunden (`make browser` installiert es).", file=sys.stderr)
        return 2
    problems, _, opened = check_site(site, browser, args.gebiete, not args.ohne_karten,
                                     args.bildschirmfoto)  # fmt: skip
    for problem in problems:
        print(f"- {problem}")
    print(f"{opened} Seiten geöffnet, {len(problems)} Probleme: {site}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
