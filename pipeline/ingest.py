"""`palmares ingest FILE...`: add users' palmarès exports to the raw data and rebuild.

A file is kept, byte for byte, under data/raw/palmares/imports/ and listed in the palmarès
manifest; files are identified by name, so ingesting the same file again changes nothing and a
corrected file with the same name replaces the earlier version. Every file is read and checked
before anything is written, and the warehouse is rebuilt from all raw files: if that fails, the
previous imports and manifest are put back.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path

from pipeline import manifest
from pipeline.config import Paths
from pipeline.sources.palmares import read_palmares

IMPORTS = "imports"


def ingest(paths: Paths, files: list[Path], rebuild: Callable[[], None]) -> dict[str, str]:
    """Add or replace the files, rebuild (the caller holds the build lock); return what happened
    to each file: "added", "replaced" or "unchanged"."""
    directory = paths.raw / "palmares"
    entries = manifest.load(directory)
    for file in files:
        read_palmares(file)  # refuse a bad file before touching anything
    known = {entry["path"]: entry for entry in entries}
    outcome: dict[str, str] = {}
    changed: list[tuple[Path, dict]] = []
    for file in files:
        relative = f"{IMPORTS}/{file.name}"
        digest = manifest.sha256_file(file)
        previous = known.get(relative)
        if previous is not None and previous.get("sha256") == digest:
            outcome[file.name] = "unchanged"
            continue
        outcome[file.name] = "replaced" if previous is not None else "added"
        changed.append((file, _entry(relative, file, digest)))
    if not changed:
        return outcome

    backup = _backup(directory, [entry["path"] for _, entry in changed])
    try:
        (directory / IMPORTS).mkdir(exist_ok=True)
        for file, entry in changed:
            target = directory / entry["path"]
            staged = target.with_name(f".{target.name}.tmp")
            shutil.copyfile(file, staged)
            staged.replace(target)
            known[entry["path"]] = entry
        manifest.save(directory, list(known.values()))
        rebuild()
    except BaseException:
        _restore(directory, backup)
        raise
    finally:
        shutil.rmtree(backup["folder"], ignore_errors=True)
    return outcome


def _entry(relative: str, file: Path, digest: str) -> dict:
    """Provenance of a user's file: what we know is its name, content and the day it came."""
    return {
        "path": relative,
        "role": "palmares",
        "sha256": digest,
        "producer": "user import (palmares ingest)",
        "title": f"Palmarès importé : {file.name}",
        "licence": "as provided by the user (not stated)",
        "url": f"provided by the user as {file.name}",
        "retrieved_date": dt.date.today().isoformat(),
        "derived_from": None,
    }


def _backup(directory: Path, relatives: list[str]) -> dict:
    """Copies of the manifest and of the files about to be replaced, to undo a failed ingest."""
    folder = directory / f".ingest-backup-{dt.datetime.now():%Y%m%d%H%M%S%f}"
    folder.mkdir()
    shutil.copyfile(directory / manifest.MANIFEST, folder / manifest.MANIFEST)
    saved = []
    for relative in relatives:
        if (directory / relative).exists():
            (folder / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(directory / relative, folder / relative)
            saved.append(relative)
    return {"folder": folder, "files": saved, "new": [r for r in relatives if r not in saved]}


def _restore(directory: Path, backup: dict) -> None:
    folder = backup["folder"]
    for relative in backup["files"]:
        shutil.copyfile(folder / relative, directory / relative)
    for relative in backup["new"]:
        (directory / relative).unlink(missing_ok=True)
    shutil.copyfile(folder / manifest.MANIFEST, directory / manifest.MANIFEST)
