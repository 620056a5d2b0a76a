"""The Land's store of verified packages: intake, the current package of each municipality,
and the log of every intake.

```
<land>/eingang/                          packages as they arrive (folders or ZIP files)
<land>/abgelehnt/<name>                  a refused package, moved out of eingang on request,
<land>/abgelehnt/<name>.pruefbericht.txt with its German report beside it
<land>/pakete/<AGS>/<paket>/             verified packages, read-only, none ever replaced
<land>/pakete/eingaenge.jsonl            one line per intake
```

A package is copied into a hidden folder of the store, checked there and renamed into
``pakete/`` only when it passed: what is stored is exactly what was checked, and nothing of
a refused package is stored. The current package of a municipality is the stored one with
the greatest (erstellt, run_id); older ones stay as its history. Every method holds the
store's lock, so two intakes never interleave.
"""

import fcntl
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from indicators.export.manifest import HASH_KEY, MANIFEST
from indicators.land.findings import Finding
from indicators.land.packages import (
    DEFAULT_LIMITS,
    Limits,
    PackageRefused,
    copy_package,
    open_package,
)
from indicators.land.verify import report_text, unreadable, verify_package

ACCEPTED = "aufgenommen"
"""Verified and stored; the municipality's current package."""
HISTORIC = "historisch"
"""Verified and stored, but older than the current package."""
PRESENT = "vorhanden"
"""The same package (same manifest checksum) is stored already; nothing done."""
REJECTED = "abgelehnt"
"""Refused; nothing stored."""
INCOMING = "eingang"
REJECTED_DIR = "abgelehnt"
PACKAGES = "pakete"
LOG = "eingaenge.jsonl"
REPORT_SUFFIX = ".pruefbericht.txt"
UNFINISHED = ".unfertig"


@dataclass(frozen=True)
class Intake:
    status: str
    ags: str | None
    paket: Path | None
    """The stored package folder (for ``vorhanden`` the one stored before), None when
    refused."""
    findings: list[Finding]
    report: str
    """The German report (``report_text``)."""


def package_name(manifest: dict) -> str:
    """``<AGS>_<erstellt %Y-%m-%dT%H%M%S>_<first 8 characters of the run id>``."""
    created = datetime.fromisoformat(manifest["erstellt"])
    return f"{manifest['ags']}_{created:%Y-%m-%dT%H%M%S}_{manifest['run_id'][:8]}"


def recency(manifest: dict) -> tuple[datetime, str]:
    """What makes a package newer than another: its creation time, then its run id. A time
    that cannot be read counts as the earliest, one beyond the calendar in UTC as the
    latest."""
    run_id = manifest.get("run_id")
    run_id = run_id if isinstance(run_id, str) else ""
    try:
        created = datetime.fromisoformat(manifest["erstellt"])
    except (KeyError, TypeError, ValueError):
        return datetime.min, run_id
    if created.tzinfo is None:
        return created, run_id
    try:
        return created.astimezone(UTC).replace(tzinfo=None), run_id
    except OverflowError:
        return (datetime.max if created.year > 1 else datetime.min), run_id


class LandStore:
    def __init__(self, root: Path):
        self.root = root
        self.incoming = root / INCOMING
        self.rejected = root / REJECTED_DIR
        self.packages = root / PACKAGES
        self.log = self.packages / LOG

    def intake(
        self,
        path: Path,
        min_threshold: int,
        *,
        move_rejected: bool,
        limits: Limits = DEFAULT_LIMITS,
    ) -> Intake:
        """Check the package at ``path`` (folder or ZIP file) and store it when it passes;
        ``min_threshold`` is the Land's least disclosure threshold. With ``move_rejected``
        a refused package is moved to ``abgelehnt/`` with its report beside it; otherwise
        ``path`` is left as it is."""
        with self._locked():
            received = datetime.now().replace(microsecond=0)
            manifest, findings, status, stored = self._check_and_store(
                path, min_threshold, limits, received
            )
            report = report_text(path.name, findings)
            self._record(path, manifest, status, stored, received.isoformat())
            if status == REJECTED and move_rejected and os.path.lexists(path):
                self._move_rejected(path, report)
            ags = manifest.get("ags") if isinstance(manifest, dict) else None
            return Intake(status, ags if isinstance(ags, str) else None, stored, findings, report)

    def current(self, ags: str) -> Path | None:
        """The current package of the municipality ``ags``, None when none is stored."""
        with self._locked():
            return self._current(ags)

    def municipalities(self) -> list[str]:
        """The AGS of every municipality with a stored package, sorted."""
        with self._locked():
            if not self.packages.is_dir():
                return []
            return sorted(
                folder.name
                for folder in self.packages.iterdir()
                if folder.is_dir() and self._current(folder.name) is not None
            )

    def history(self) -> list[dict]:
        """Every intake so far, oldest first (the lines of ``eingaenge.jsonl``)."""
        with self._locked():
            if not self.log.exists():
                return []
            lines = self.log.read_text(encoding="utf-8").splitlines()
            return [json.loads(line) for line in lines if line.strip()]

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold the store's lock (waiting for another intake) and remove the hidden folders
        an intake that was killed left behind."""
        self.root.mkdir(parents=True, exist_ok=True)
        handle = os.open(self.root, os.O_RDONLY)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)  # released by the system if the process dies
            for stale in self.root.glob(f".*{UNFINISHED}"):
                _remove(stale)
            yield
        finally:
            os.close(handle)

    def _check_and_store(
        self, path: Path, min_threshold: int, limits: Limits, now: datetime
    ) -> tuple[dict | None, list[Finding], str, Path | None]:
        work = self.root / f".{uuid.uuid4().hex}{UNFINISHED}"
        try:
            with open_package(path, limits) as folder:
                copy_package(folder, work)
            verification = verify_package(work, min_threshold, now)
            manifest, findings = verification.manifest, verification.findings
            if findings:
                return manifest, findings, REJECTED, None
            return self._store(work, manifest)
        except PackageRefused as refused:
            return None, [refused.finding], REJECTED, None
        except Exception as error:  # a package never stops the intake: it is refused
            return None, [unreadable(error)], REJECTED, None
        finally:
            if work.exists():
                _remove(work)

    def _store(self, work: Path, manifest: dict) -> tuple[dict, list[Finding], str, Path | None]:
        ags = manifest["ags"]
        stored = self._stored(ags)
        for folder, other in stored:
            if other.get(HASH_KEY) == manifest[HASH_KEY]:
                return manifest, [], PRESENT, folder
        target = self.packages / ags / package_name(manifest)
        if target.exists():
            clash = Finding(
                None,
                "paket_doppelt",
                f"Ein anderes Paket mit demselben Namen ({target.name}: AGS, Erstellungszeit und "
                "Laufkennung) ist schon gespeichert; ein gespeichertes Paket wird nie ersetzt.",
            )
            return manifest, [clash], REJECTED, None
        newest = max((recency(other) for _, other in stored), default=None)
        target.parent.mkdir(parents=True, exist_ok=True)
        work.rename(target)
        _make_read_only(target)
        status = ACCEPTED if newest is None or recency(manifest) > newest else HISTORIC
        return manifest, [], status, target

    def _stored(self, ags: str) -> list[tuple[Path, dict]]:
        """(folder, manifest) of every stored package of ``ags``; a manifest that cannot be
        read counts as empty (the oldest package)."""
        folder = self.packages / ags
        if not folder.is_dir():
            return []
        return [
            (package, _stored_manifest(package / MANIFEST))
            for package in sorted(folder.iterdir())
            if package.is_dir() and (package / MANIFEST).is_file()
        ]

    def _current(self, ags: str) -> Path | None:
        stored = self._stored(ags)
        if not stored:
            return None
        return max(stored, key=lambda item: recency(item[1]))[0]

    def _record(
        self,
        path: Path,
        manifest: dict | None,
        status: str,
        stored: Path | None,
        received: str,
    ) -> None:
        known = manifest if isinstance(manifest, dict) else {}

        def text(field: str) -> str | None:
            value = known.get(field)
            return value if isinstance(value, str) else None

        if stored is not None:
            name = stored.name
        else:
            try:
                name = package_name(known)
            except (KeyError, TypeError, ValueError, OverflowError):
                name = None
        line = {
            "ags": text("ags"),
            "paket": name,
            "kommune": text("kommune"),
            "erstellt": text("erstellt"),
            "eingang": received,
            "quelle": str(path),
            "manifest_sha256": text(HASH_KEY),
            "status": status,
        }
        self.packages.mkdir(parents=True, exist_ok=True)
        with self.log.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def _move_rejected(self, path: Path, report: str) -> None:
        """Move ``path`` into ``abgelehnt/`` under a free name, the report beside it."""
        self.rejected.mkdir(parents=True, exist_ok=True)
        target = self.rejected / path.name
        number = 1
        while target.exists() or _report_of(target).exists():
            number += 1
            target = self.rejected / f"{path.stem}_{number}{path.suffix}"
        shutil.move(path, target)
        _report_of(target).write_text(report, encoding="utf-8")


def _stored_manifest(path: Path) -> dict:
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return manifest if isinstance(manifest, dict) else {}


def _report_of(target: Path) -> Path:
    return target.with_name(target.name + REPORT_SUFFIX)


def _make_read_only(folder: Path) -> None:
    """Files 0444 and folders 0555, the deepest first."""
    for path in sorted(folder.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        path.chmod(0o555 if path.is_dir() else 0o444)
    folder.chmod(0o555)


def _remove(folder: Path) -> None:
    """Remove a folder of the store's own even where it holds read-only folders."""
    for path in [folder, *folder.rglob("*")]:
        if path.is_dir() and not path.is_symlink():
            path.chmod(0o755)
    shutil.rmtree(folder, ignore_errors=True)
