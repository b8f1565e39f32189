"""Provenance manifests of raw data folders (`data/raw/<source>/manifest.json`).

Each entry gives a file's provenance with the keys of the warehouse `source` table plus a
`role` saying which reader takes it. Files obtained from outside are immutable: their sha256 is
recorded and checked at every build. Decision files the maintainers edit (overrides, claim
interpretations) are marked `"edited": true`: their hash is recorded at build time instead.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from pipeline import io
from pipeline.build.schema import schema_columns
from pipeline.errors import InputError

MANIFEST = "manifest.json"
#: Keys every entry must have besides `sha256`/`size_bytes`/`row_count`, which are filled in.
REQUIRED = ("path", "role", "producer", "title", "licence", "url", "retrieved_date")


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
