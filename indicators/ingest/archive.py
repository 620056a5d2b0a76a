"""Immutable archive of delivered files, named by content hash."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

CHUNK = 1 << 20


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def archive_file(path: Path, sha256: str, source: str, archive_dir: Path) -> Path:
    """Copy ``path`` to ``archive_dir/source/<sha256><suffix>`` once; never overwrite."""
    target = archive_dir / source / f"{sha256}{path.suffix.lower()}"
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    shutil.copyfile(path, partial)
    os.chmod(partial, 0o444)
    partial.replace(target)
    return target
