"""Open a delivered package: a folder as it is, a ZIP file extracted safely.

A ZIP file comes from outside: a member name could point outside the extraction folder
(absolute, ``..``, a drive letter, a backslash read as a separator elsewhere), a member could
be a symbolic link, and a small file could unpack to more than the disk holds. Such a file is
refused before anything is written; the uncompressed size is counted while extracting, not
taken from the headers.
"""

import shutil
import stat
import tempfile
import zipfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from indicators.export.manifest import MANIFEST
from indicators.land.findings import Finding

CHUNK = 1 << 20
MAC_METADATA = "__MACOSX"
"""Folder the macOS archive utility adds to a ZIP file; not part of the package."""


@dataclass(frozen=True)
class Limits:
    members: int = 500
    """Entries of a ZIP file or files of a folder (a package holds about 30)."""
    size: int = 1 << 30
    """Bytes of all extracted files (or of all files of a folder) together."""


DEFAULT_LIMITS = Limits()


class PackageRefused(Exception):
    """The package cannot be opened safely; ``finding`` says why, in German."""

    def __init__(self, finding: Finding):
        super().__init__(finding.text())
        self.finding = finding


@contextmanager
def open_package(path: Path, limits: Limits = DEFAULT_LIMITS) -> Iterator[Path]:
    """The folder holding the package's manifest: ``path`` itself when it is a folder, else
    a temporary folder with the ZIP file ``path`` extracted (removed afterwards)."""
    if path.is_dir() and not path.is_symlink():
        _refuse_links(path)
        _limit_folder(path, limits)
        yield path
        return
    if not (path.is_file() and zipfile.is_zipfile(path)):
        raise PackageRefused(
            Finding(
                path.name,
                "zip_lesbar",
                "Das Paket ist weder ein Ordner noch eine lesbare ZIP-Datei.",
            )
        )
    with tempfile.TemporaryDirectory(prefix="kekiz-paket-") as temporary:
        root = Path(temporary)
        _extract(path, root, limits)
        yield _package_root(root)


def _refuse_links(folder: Path) -> None:
    for item in sorted(folder.rglob("*")):
        if item.is_symlink() or not (item.is_file() or item.is_dir()):
            raise PackageRefused(
                Finding(
                    item.relative_to(folder).as_posix(),
                    "zip_pfad",
                    "Das Paket enthält einen symbolischen Verweis oder eine Sonderdatei; ein "
                    "Paket besteht nur aus Ordnern und gewöhnlichen Dateien.",
                )
            )


def _limit_folder(folder: Path, limits: Limits) -> None:
    """A package folder holds no more files and bytes than a ZIP file may."""
    files = [item for item in folder.rglob("*") if item.is_file()]
    if len(files) > limits.members:
        raise PackageRefused(
            Finding(
                folder.name,
                "paket_groesse",
                f"Der Paketordner enthält {len(files)} Dateien, erlaubt sind höchstens "
                f"{limits.members}.",
            )
        )
    if sum(item.stat().st_size for item in files) > limits.size:
        raise PackageRefused(
            Finding(
                folder.name,
                "paket_groesse",
                f"Der Paketordner ist größer als {limits.size:,} Bytes; so groß ist kein "
                "Auswertungspaket.".replace(",", "."),
            )
        )


def _extract(path: Path, root: Path, limits: Limits) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if len(members) > limits.members:
                raise PackageRefused(
                    Finding(
                        path.name,
                        "zip_groesse",
                        f"Die ZIP-Datei hat {len(members)} Einträge, erlaubt sind höchstens "
                        f"{limits.members}.",
                    )
                )
            names = [member.filename for member in members]
            for member in members:
                _check_name(path.name, member)
            for name, count in Counter(names).items():
                if count > 1:
                    raise PackageRefused(
                        Finding(
                            path.name,
                            "zip_pfad",
                            f"Der Eintrag {name!r} steht {count}-mal in der ZIP-Datei.",
                        )
                    )
            written = 0
            for member in members:
                if member.filename.split("/")[0] == MAC_METADATA:
                    continue
                target = root / member.filename
                if member.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(member) as source, target.open("xb") as out:
                    while chunk := source.read(CHUNK):
                        written += len(chunk)
                        if written > limits.size:
                            raise PackageRefused(_too_large(path.name, limits))
                        out.write(chunk)
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise PackageRefused(
            Finding(path.name, "zip_lesbar", f"Die ZIP-Datei ist nicht lesbar ({error}).")
        ) from error


def _too_large(name: str, limits: Limits) -> Finding:
    return Finding(
        name,
        "zip_groesse",
        f"Die ZIP-Datei entpackt sich zu mehr als {limits.size:,} Bytes; so groß ist kein "
        "Auswertungspaket.".replace(",", "."),
    )


def _check_name(zip_name: str, member: zipfile.ZipInfo) -> None:
    """Refuse a member that would land outside the extraction folder or is a link."""
    name = member.filename
    parts = PurePosixPath(name).parts
    problem = None
    if "\\" in name:
        problem = "enthält einen umgekehrten Schrägstrich (\\)"
    elif name.startswith("/"):
        problem = "ist ein absoluter Pfad"
    elif len(name) > 1 and name[1] == ":":
        problem = "beginnt mit einem Laufwerksbuchstaben"
    elif ".." in parts:
        problem = "enthält »..« und zeigt damit aus dem Paket heraus"
    elif not parts or "\0" in name:
        problem = "ist leer oder ungültig"
    elif stat.S_ISLNK(member.external_attr >> 16):
        problem = "ist ein symbolischer Verweis"
    if problem:
        raise PackageRefused(
            Finding(
                zip_name,
                "zip_pfad",
                f"Der Eintrag {name!r} {problem}; die ZIP-Datei wird nicht entpackt.",
            )
        )


def _package_root(root: Path) -> Path:
    """``root`` when the package lies at the top of the ZIP file, else its only folder."""
    if (root / MANIFEST).exists():
        return root
    entries = list(root.iterdir())
    if len(entries) == 1 and entries[0].is_dir():
        return entries[0]
    return root


def copy_package(folder: Path, target: Path) -> None:
    """Copy the package ``folder`` to ``target`` (a new folder); a link is copied as a link
    and then refused, so the copy holds only what was in the package."""
    shutil.copytree(folder, target, symlinks=True)
    _refuse_links(target)
