"""Files written whole or not at all, and the hashes that say whether inputs changed.

Every file the pipeline writes goes through `atomic_path` (or `atomic_dir` for a folder): the
content is written beside the target under a hidden unique name, renamed over the target only
when complete, and removed on every error path, so a reader never sees half a file and a crash
leaves no temporary file behind.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def _beside(target: Path, kind: str) -> Path:
    """A hidden name in the target's folder (same file system, so the rename is atomic)."""
    return target.with_name(f".{target.name}.{uuid.uuid4().hex}.{kind}")


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path to write; it replaces `target` if the block succeeds and is
    removed if it fails. The suffix is kept, for writers that choose a format by it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = _beside(target, "tmp").with_suffix(f".tmp{target.suffix}")
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def write_bytes(target: Path, data: bytes) -> None:
    """Write bytes to target atomically."""
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


def write_text(target: Path, text: str) -> None:
    """Write UTF-8 text to target atomically."""
    write_bytes(target, text.encode("utf-8"))


@contextmanager
def atomic_dir(target: Path) -> Iterator[Path]:
    """Yield an empty staging folder that replaces the folder `target` whole if the block
    succeeds (the previous one is moved aside, then deleted) and is deleted if it fails."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = _beside(target, "tmp")
    staging.mkdir()
    try:
        yield staging
        if target.exists():
            retired = _beside(target, "old")
            target.rename(retired)
            staging.rename(target)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def bytes_sha256(data: bytes) -> str:
    """Hex sha256 of bytes."""
    return hashlib.sha256(data).hexdigest()


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file, read in chunks (geometry sources are large)."""
    with path.open("rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


@functools.cache
def code_fingerprint() -> str:
    """Hash of every file of the installed `pipeline` package, by relative path, and of the
    libraries it runs with (once per process: the build key and the notebook plan need it)."""
    from pipeline import environment

    digest = hashlib.sha256(environment.fingerprint().encode())
    for path in sorted(PACKAGE.rglob("*")):
        if path.is_file() and path.suffix in {".py", ".sql", ".j2", ".css", ".js"}:
            digest.update(str(path.relative_to(PACKAGE)).encode())
            digest.update(bytes.fromhex(file_sha256(path)))
    return digest.hexdigest()
