"""`palmares ingest FILE...`: add users' files to the raw data and rebuild.

Palmarès exports go under data/raw/palmares/imports/, INSEE figure downloads under
data/raw/insee/imports/. A file is kept byte for byte and listed in its folder's manifest;
files are identified by name, so ingesting the same file again changes nothing and a
corrected file with the same name replaces the earlier version. Every file is read and checked
before anything is written, and the warehouse is rebuilt from all raw files: if that fails, the
previous imports and manifest are put back.

A palmarès file may be declared complete for the editions it holds (`--complete --declared-by
NAME`): the declaration is part of the file's manifest entry (`manifest.DECLARED_COMPLETE`),
so ingesting the same file with or without it is a change of the entry ("replaced"), while the
same declaration again, another day, changes nothing.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from pipeline.build import manifest
from pipeline.build.assemble import illectronism
from pipeline.build.sources import insee
from pipeline.build.sources.insee_download import looks_like_insee_figure, read_insee_figure
from pipeline.build.sources.palmares import Reading, describe
from pipeline.errors import InputError
from pipeline.io import atomic_path, file_sha256
from pipeline.paths import Paths

IMPORTS = "imports"


def ingest(
    paths: Paths,
    files: list[Path],
    rebuild: Callable[[], None],
    declared_complete_by: str | None = None,
    understood: Callable[[Reading], None] = lambda reading: None,
) -> dict[str, str]:
    """Add or replace palmarès files, then rebuild (the caller holds the build lock); return
    what happened to each file: "added", "replaced" or "unchanged". With
    `declared_complete_by` (who declares it), each file is declared, today, the whole list of
    every edition it holds. ValueError for an unusable name, before anything is written.
    `understood` is given what the reader understood of each file (shape, headers, rows)."""
    by = None if declared_complete_by is None else manifest.declarer(declared_complete_by)
    staged = []
    for file in files:
        reading = describe(file, file.name)  # refuse a bad file before touching anything
        understood(reading)
        rows = reading.frame
        entry = _entry(f"{IMPORTS}/{file.name}", file, file_sha256(file))
        if by is not None:
            editions = sorted(int(e) for e in rows["edition"].dropna().unique())
            entry[manifest.DECLARED_COMPLETE] = {
                "by": by,
                "on": dt.date.today().isoformat(),
                "editions": editions,
            }
        staged.append((file, entry))
    return add_files(paths.raw / "palmares", staged, rebuild)


def declarations(paths: Paths) -> dict[str, dict]:
    """The palmarès imports declared complete, by file name: {"by", "on", "editions"} as
    the manifest records them (what the CLI reports before and after an ingest)."""
    return {
        Path(entry["path"]).name: entry[manifest.DECLARED_COMPLETE]
        for entry in manifest.load(paths.raw / "palmares")
        if entry["path"].startswith(f"{IMPORTS}/") and entry.get(manifest.DECLARED_COMPLETE)
    }


def existing_files(names: list[str]) -> list[Path]:
    """The files named on the command line; InputError for one that does not exist."""
    files = [Path(name) for name in names]
    for file in files:
        if not file.is_file():
            raise InputError(file, "no such file")
    return files


def usage_problem(complete: bool, declared_by: str | None, files: list[Path]) -> str | None:
    """Why the files, `--complete` and `--declared-by` cannot be used as given (None when they
    can)."""
    figures = [file.name for file in files if looks_like_insee_figure(file)]
    if figures and len(figures) != len(files):
        return (
            "give INSEE figure downloads and palmarès files in separate `palmares ingest` calls "
            "(a figure needs --indicator, --year, ... that a palmarès file does not)"
        )
    if not complete and declared_by is None:
        return None
    if not complete or declared_by is None:
        return (
            "--complete and --declared-by go together: say who declares the files the whole "
            'palmarès of their editions (--complete --declared-by "NAME")'
        )
    if figures:
        return (
            f"{', '.join(figures)}: --complete is for palmarès exports, not for INSEE figure "
            "downloads"
        )
    try:
        manifest.declarer(declared_by)
    except ValueError as exc:
        return f"--declared-by: {exc}"
    return None


def declaration_news(
    names: list[str], before: dict[str, dict], after: dict[str, dict]
) -> list[str]:
    """What an ingest changed in the declarations of completeness of these files (`declarations`
    before and after it), one line per file whose declaration was made or withdrawn."""
    lines = []
    for name in names:
        was, now = before.get(name), after.get(name)
        if now and now != was:
            editions = ", ".join(map(str, now["editions"]))
            lines.append(
                f"{name}: declared complete for edition(s) {editions} by {now['by']} on {now['on']}"
            )
        elif was and not now:
            lines.append(
                f"{name}: no longer declared complete (declared by {was['by']} on {was['on']}); "
                "ingest it with --complete --declared-by to declare it again"
            )
    return lines


def ingest_figures(
    paths: Paths,
    files: list[tuple[Path, dict]],
    reference: dict[str, pd.DataFrame],
    rebuild: Callable[[], None],
) -> dict[str, str]:
    """Add INSEE figure downloads with what the user says of them (`insee.ingest_metadata`),
    each checked against the reference first, then rebuild (the caller holds the lock)."""
    vintages = illectronism.load_epci_vintages(paths)
    staged = []
    for file, metadata in files:
        check_figure(file, metadata, reference, vintages)
        relative = f"{IMPORTS}/{file.name}"
        staged.append((file, figure_manifest_entry(relative, file, metadata)))
    return add_files(paths.raw / insee.DIRECTORY, staged, rebuild)


def check_figure(
    path: Path,
    metadata: dict,
    reference: dict[str, pd.DataFrame],
    epci_vintages: dict[int, dict] | None = None,
    root: Path | None = None,
) -> pd.DataFrame:
    """The table rows a figure download would give, after every check (format, metadata,
    codes against COG 2026 and the EPCI vintages). Raises InputError or MetadataError."""
    path = Path(path)
    source_file = path.relative_to(root).as_posix() if root else str(path)
    rows = illectronism.figure_rows(read_insee_figure(path, source_file), metadata)
    rows = illectronism.attach_geography(
        rows, illectronism.Geography(reference, epci_vintages or {}), root if root else Path()
    )
    return illectronism.as_table(rows.assign(note=None))


def figure_manifest_entry(
    relative_path: str, file: Path, metadata: dict, retrieved_date: dt.date | None = None
) -> dict:
    """The manifest entry of a figure download kept at `relative_path` (under data/raw/insee)."""
    meta = insee.ingest_metadata(**metadata)
    relay = meta["second_hand_via"]
    return {
        "path": relative_path,
        "role": insee.ROLE_DOWNLOAD,
        "sha256": file_sha256(Path(file)),
        "producer": meta["producer"] + (f" (copy: {relay})" if relay else ""),
        "title": f"{meta['publication']} — {meta['indicator']} {meta['year']}",
        "licence": "Licence Ouverte 2.0 (Etalab)"
        if meta["producer"] == "INSEE"
        else "as stated by the producer",
        "url": meta["source_url"],
        "retrieved_date": (retrieved_date or dt.date.today()).isoformat(),
        "derived_from": relay,
        "figure": meta,
    }


def add_files(
    directory: Path, staged: list[tuple[Path, dict]], rebuild: Callable[[], None]
) -> dict[str, str]:
    """Copy checked files to `directory` under their entry's path, list them in its manifest
    and rebuild; undo everything if the rebuild fails. A file whose content and description
    are already listed is "unchanged" and nothing is rebuilt for it alone."""
    known = {entry["path"]: entry for entry in manifest.load(directory)}
    outcome: dict[str, str] = {}
    changed: list[tuple[Path, dict]] = []
    for file, entry in staged:
        previous = known.get(entry["path"])
        if previous is not None and _same_entry(previous, entry):
            outcome[file.name] = "unchanged"
            continue
        outcome[file.name] = "replaced" if previous is not None else "added"
        changed.append((file, entry))
    if not changed:
        return outcome

    backup = backup_files(directory, [entry["path"] for _, entry in changed])
    try:
        for file, entry in changed:
            with atomic_path(directory / entry["path"]) as staged_copy:
                shutil.copyfile(file, staged_copy)
            known[entry["path"]] = entry
        manifest.save(directory, list(known.values()))
        rebuild()
    except BaseException:
        restore_files(directory, backup)
        raise
    finally:
        shutil.rmtree(backup["folder"], ignore_errors=True)
    return outcome


def _same_entry(previous: dict, entry: dict) -> bool:
    """True when an entry says what the listed one says: same content, same figure
    description, same declaration of completeness (who and which editions; not the day)."""

    def declared(item: dict) -> tuple | None:
        declaration = item.get(manifest.DECLARED_COMPLETE)
        return None if not declaration else (declaration.get("by"), declaration.get("editions"))

    return all(previous.get(key) == entry.get(key) for key in ("sha256", "figure")) and (
        declared(previous) == declared(entry)
    )


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


def backup_files(directory: Path, relatives: list[str]) -> dict:
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


def restore_files(directory: Path, backup: dict) -> None:
    folder = backup["folder"]
    for relative in backup["files"]:
        shutil.copyfile(folder / relative, directory / relative)
    for relative in backup["new"]:
        (directory / relative).unlink(missing_ok=True)
    shutil.copyfile(folder / manifest.MANIFEST, directory / manifest.MANIFEST)
