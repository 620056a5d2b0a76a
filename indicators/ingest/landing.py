"""The landing zone: when a file in ``incoming/`` is complete, and where it goes after loading.

A file is complete when a ``<file>.ready`` marker stands beside it, or when its size and
modification time did not change between two looks. After loading, a file leaves
``incoming/``: a loaded file is deleted (its unchanged copy is in the archive); a rejected file
or a repeated delivery moves to ``rejected/`` with a German ``<file>.fehler.txt`` beside it.
"""

from __future__ import annotations

import shutil
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path

from indicators.ingest.delivery import (
    DELIVERY_SUFFIXES,
    LoadedDelivery,
    delivered_files,
    report,
)

READY_SUFFIX = ".ready"
REPORT_SUFFIX = ".fehler.txt"

Observation = tuple[int, int]
"""Size in bytes and modification time in nanoseconds of one file."""


def observe(folder: Path, suffixes: Collection[str] = DELIVERY_SUFFIXES) -> dict[str, Observation]:
    """Size and modification time of every delivery file in a folder, by file name."""
    stats = {path.name: path.stat() for path in delivered_files(folder, suffixes)}
    return {name: (st.st_size, st.st_mtime_ns) for name, st in stats.items()}


def complete_files(
    folder: Path, now: Mapping[str, Observation], before: Mapping[str, Sequence[int]]
) -> list[Path]:
    """Files that are ready to load: marked ``.ready`` or unchanged since the last look."""
    return [
        folder / name
        for name, seen in now.items()
        if tuple(before.get(name, ())) == seen or ready_marker(folder / name).exists()
    ]


class OutsideFolder(ValueError):
    """A file name that would reach outside its folder; the message is German."""


def incoming_file(folder: Path, name: str) -> Path:
    """The file ``name`` in the landing folder ``folder``.

    Only a plain file name is accepted: no folder part, no ``..``, and no link that leads
    outside the folder, so a run can never read, move or delete a file elsewhere.
    """
    path = folder / name
    plain = name not in ("", ".", "..") and Path(name).name == name and "\\" not in name
    if not plain or not path.resolve().is_relative_to(folder.resolve()):
        raise OutsideFolder(
            f"'{name}' ist kein Dateiname im Eingangsordner {folder}: Es dürfen nur Dateien "
            "geladen werden, die dort liegen. Es wurde nichts gelesen, verschoben oder gelöscht."
        )
    return path


def ready_marker(path: Path) -> Path:
    return path.with_name(path.name + READY_SUFFIX)


def settle(path: Path, delivery: LoadedDelivery, rejected_dir: Path) -> Path | None:
    """Take a loaded file out of ``incoming/``; return where a rejected file went."""
    if delivery.skipped:
        assert delivery.duplicate_of is not None
        return reject(path, rejected_dir, duplicate_note(path.name, delivery.duplicate_of))
    assert delivery.check is not None
    if delivery.check.rejection is not None:
        return reject(path, rejected_dir, rejection_note(report(delivery.check)))
    path.unlink()
    ready_marker(path).unlink(missing_ok=True)
    return None


def reject(path: Path, rejected_dir: Path, note: str) -> Path:
    """Move a file to ``rejected_dir`` with its German report beside it.

    A file of the same name rejected earlier is replaced: every delivered content is kept in
    the archive, so nothing is lost.
    """
    rejected_dir.mkdir(parents=True, exist_ok=True)
    target = rejected_dir / path.name
    # UTF-8 with BOM and CRLF, so that Windows editors show the umlauts correctly.
    (rejected_dir / (path.name + REPORT_SUFFIX)).write_text(
        note + "\n", encoding="utf-8-sig", newline="\r\n"
    )
    shutil.move(path, target)
    ready_marker(path).unlink(missing_ok=True)
    return target


def rejection_note(check_report: str) -> str:
    return (
        f"{check_report}\n\n"
        "Die Datei wurde nicht geladen. Bitte beheben Sie den genannten Fehler und legen Sie "
        "die korrigierte Datei wieder in den Eingangsordner der Quelle."
    )


def duplicate_note(file_name: str, first_name: str) -> str:
    return (
        f"Prüfbericht: {file_name}\n"
        f"Ergebnis: NICHT GELADEN – der Inhalt dieser Datei ist bytegleich mit der bereits "
        f"geladenen Lieferung '{first_name}'.\n\n"
        "War die Datei versehentlich doppelt abgelegt, ist nichts zu tun. Sollte sie eine "
        "Korrektur sein, enthält sie keine Änderung: bitte die korrigierte Fassung liefern."
    )
