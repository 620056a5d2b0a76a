"""When a package in the Land's incoming folder is complete: the rule of the city's landing
zone (``indicators/ingest/landing.py``) applied to package folders and ``.zip`` files."""

from __future__ import annotations

import shutil
from pathlib import Path

from indicators.ingest.landing import READY_SUFFIX, Observation, ready_marker

ZIP_SUFFIX = ".zip"


def package_entries(folder: Path) -> list[Path]:
    """Package folders and ``.zip`` files in ``folder``, by name; hidden entries, markers and
    links that lead outside the folder are no packages."""
    if not folder.is_dir():
        return []
    inside = folder.resolve()
    return sorted(
        p
        for p in folder.iterdir()
        if not p.name.startswith(".")
        and not p.name.endswith(READY_SUFFIX)
        and (p.is_dir() or p.suffix.lower() == ZIP_SUFFIX)
        and p.resolve().parent == inside
    )


def observe_packages(folder: Path) -> dict[str, Observation]:
    """Total size and newest modification time of every package in ``folder``, by name: a
    folder still being copied changes in one of them between two looks."""
    seen = {}
    for entry in package_entries(folder):
        files = [entry] if entry.is_file() else [p for p in entry.rglob("*") if p.is_file()]
        stats = [p.stat() for p in files]
        seen[entry.name] = (
            sum(s.st_size for s in stats),
            max((s.st_mtime_ns for s in stats), default=entry.stat().st_mtime_ns),
        )
    return seen


def take_out(entry: Path) -> None:
    """Remove a stored package (folder or file) and its marker from the incoming folder."""
    if entry.is_dir() and not entry.is_symlink():
        shutil.rmtree(entry)
    else:
        entry.unlink(missing_ok=True)
    ready_marker(entry).unlink(missing_ok=True)
