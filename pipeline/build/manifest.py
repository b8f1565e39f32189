"""Provenance manifests of raw data folders (`data/raw/<source>/manifest.json`).

Each entry gives a file's provenance with the keys of the warehouse `source` table plus a
`role` saying which reader takes it. Files obtained from outside are immutable: their sha256 is
recorded and checked at every build. Decision files the maintainers edit (overrides, claim
interpretations) are marked `"edited": true`: their hash is recorded at build time instead.

A palmarès file entry may declare its file complete for its editions (`palmares ingest
--complete --declared-by NAME`): `"declared_complete": {"by": NAME, "on": "YYYY-MM-DD",
"editions": [...]}`. The declaration is provenance like the rest of the entry: it is kept in
data/raw, survives rebuilds, and changing it is a change of the entry.
"""

from __future__ import annotations

import datetime as dt
import json
import unicodedata
from pathlib import Path

from pipeline import io
from pipeline.build.schema import schema_columns
from pipeline.errors import InputError

MANIFEST = "manifest.json"
#: Keys every entry must have besides `sha256`/`size_bytes`/`row_count`, which are filled in.
REQUIRED = ("path", "role", "producer", "title", "licence", "url", "retrieved_date")
#: The key of a palmarès file entry that declares the file complete for its editions.
DECLARED_COMPLETE = "declared_complete"
DECLARER_MAX_LENGTH = 120


def load(directory: Path) -> list[dict]:
    """The manifest's entries, checked to carry every provenance key."""
    path = directory / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(
            path, "missing: every raw data folder lists its files and their provenance"
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(path, f"cannot be read as JSON ({exc})") from None
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, list):
        raise InputError(path, 'has no "files" list')
    for n, entry in enumerate(files, start=1):
        missing = [key for key in REQUIRED if not isinstance(entry, dict) or not entry.get(key)]
        if missing:
            raise InputError(path, f"file entry {n} lacks {', '.join(missing)}")
    return files


def save(directory: Path, entries: list[dict]) -> None:
    """Write the manifest atomically (a reader never sees half of it)."""
    text = json.dumps({"files": entries}, ensure_ascii=False, indent=2) + "\n"
    io.write_text(directory / MANIFEST, text)


#: The name ingest, the INSEE reader and the benchmarks still call io.file_sha256 by.
sha256_file = io.file_sha256


def verified(directory: Path, entry: dict) -> Path:
    """The file of an entry, after checking it exists and, unless edited, has its recorded hash."""
    path = directory / entry["path"]
    if not path.is_file():
        raise InputError(path, f"missing (listed in {directory / MANIFEST})")
    if not entry.get("edited"):
        actual = io.file_sha256(path)
        if actual != entry.get("sha256"):
            raise InputError(
                path,
                f"sha256 {actual} differs from {entry.get('sha256')} recorded in {MANIFEST}: the "
                "raw file was changed; raw files are kept exactly as obtained (add a corrected "
                "version with `palmares ingest`, or record the change in the manifest)",
            )
    return path


def source_row(root: Path, directory: Path, entry: dict, row_count: int | None) -> dict:
    """The `source` table row of an entry (hash and size measured now)."""
    path = directory / entry["path"]
    row = {
        "path": path.relative_to(root).as_posix(),
        "sha256": io.file_sha256(path),
        "size_bytes": path.stat().st_size,
        "row_count": row_count,
        "producer": entry["producer"],
        "title": entry["title"],
        "licence": entry["licence"],
        "url": entry["url"],
        "retrieved_date": dt.date.fromisoformat(entry["retrieved_date"]),
        "derived_from": entry.get("derived_from"),
    }
    return {column.name: row[column.name] for column in schema_columns()["source"]}


def declarer(name: object) -> str:
    """The name of who declares a file complete, trimmed; ValueError for an empty name, a
    control character (a line break would forge lines in reports) or a name over
    DECLARER_MAX_LENGTH characters."""
    text = name.strip() if isinstance(name, str) else ""
    if not text:
        raise ValueError("the name of who declares the file complete is empty")
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in text):
        raise ValueError(
            "the name of who declares the file complete holds a control or invisible character"
        )
    if len(text) > DECLARER_MAX_LENGTH:
        raise ValueError(
            f"the name of who declares the file complete is longer than {DECLARER_MAX_LENGTH} "
            "characters"
        )
    return text


def complete_declaration(directory: Path, entry: dict, editions_in_file: set[int]) -> dict | None:
    """The entry's declaration that its file is the whole list of some editions, checked (a
    person, an ISO date, editions the file holds, on a palmarès file), as {"by", "on" (a date),
    "editions" (sorted)}; None when the entry declares nothing."""
    declared = entry.get(DECLARED_COMPLETE)
    if declared is None:
        return None
    where = directory / MANIFEST
    problem = f"file entry {entry['path']}: {DECLARED_COMPLETE}"
    if entry.get("role") != "palmares":
        raise InputError(where, f"{problem} is only for palmarès files (role 'palmares')")
    if not isinstance(declared, dict):
        raise InputError(where, f'{problem} is not {{"by": ..., "on": ..., "editions": [...]}}')
    try:
        by = declarer(declared.get("by"))
        on = dt.date.fromisoformat(declared.get("on"))
    except (TypeError, ValueError) as exc:
        raise InputError(where, f"{problem}: {exc}") from None
    editions = declared.get("editions")
    if (
        not isinstance(editions, list)
        or not editions
        or not all(isinstance(e, int) and not isinstance(e, bool) for e in editions)
    ):
        raise InputError(where, f"{problem}: editions is not a list of label years")
    absent = sorted(set(editions) - editions_in_file)
    if absent:
        raise InputError(
            where,
            f"{problem}: the file has no row of edition(s) {', '.join(map(str, absent))}; "
            "a file can be declared complete only for the editions it lists",
        )
    return {"by": by, "on": on, "editions": sorted(set(editions))}
