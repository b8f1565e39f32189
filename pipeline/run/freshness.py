"""What each notebook job last ran with, so `palmares run` reruns only what changed.

A job reruns when its notebook's source changed (content, or modification time: `touch` works
as with make), its parameters changed, the content of a warehouse table it reads changed, the
`pipeline/` code changed, one of its outputs is missing, or it failed last time. The state is
one JSON file under reports/, replaced atomically after every finished job, so an interrupted
run keeps what it completed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipeline import io
from pipeline.run.pipeline_toml import NotebookJob

STATE_NAME = ".run-state.json"
#: build_info changes with every build (date, commit) without any change of data.
UNVERSIONED_TABLES = {"build_info"}


@dataclass(frozen=True)
class Inputs:
    """What the jobs of one run depend on, computed once per run."""

    code: str  # hash of the pipeline package (code, SQL, templates)
    tables: dict[str, str]  # content hash of each warehouse table


def table_fingerprints(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Row count and an order-independent hash of the rows of every table."""
    names = [
        name
        for (name,) in con.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'main' AND table_type = 'BASE TABLE' ORDER BY 1"
        ).fetchall()
        if name not in UNVERSIONED_TABLES
    ]
    fingerprints = {}
    for name in names:  # names come from the catalogue, not from input
        rows, digest = con.execute(
            f'SELECT count(*), coalesce(sum(hash(t)), 0)::VARCHAR FROM "{name}" t'
        ).fetchone()
        fingerprints[name] = f"{rows}:{digest}"
    return fingerprints


def notebook_fingerprint(source: Path) -> dict:
    stat = source.stat()
    return {"sha256": io.file_sha256(source), "mtime_ns": stat.st_mtime_ns}


def record(job: NotebookJob, inputs: Inputs, notebook: dict) -> dict:
    """The state entry of a job that just succeeded."""
    return {
        "notebook": notebook,
        "parameters": job.parameters,
        "code": inputs.code,
        "tables": _read_tables(job, inputs),
        "outputs": outputs(job),  # removed if the job leaves the configuration
    }


def _read_tables(job: NotebookJob, inputs: Inputs) -> dict[str, str]:
    if job.reads is None:
        return dict(inputs.tables)
    return {name: inputs.tables.get(name, "missing") for name in job.reads}


def reasons_to_run(
    job: NotebookJob, previous: dict | None, inputs: Inputs, notebook: dict, reports: Path
) -> list[str]:
    """Why the job must run; an empty list means it is up to date."""
    if previous is None:
        return ["never run (or failed last time)"]
    reasons = []
    if previous["notebook"]["sha256"] != notebook["sha256"]:
        reasons.append(f"notebook {job.source.name} changed")
    elif previous["notebook"]["mtime_ns"] != notebook["mtime_ns"]:
        reasons.append(f"notebook {job.source.name} touched (same content, newer time)")
    if previous["parameters"] != job.parameters:
        reasons.append("parameters changed")
    if previous["code"] != inputs.code:
        reasons.append("pipeline/ code changed")
    now = _read_tables(job, inputs)
    changed = sorted(
        name
        for name in set(now) | set(previous["tables"])
        if now.get(name) != previous["tables"].get(name)
    )
    if changed:
        reasons.append(f"warehouse content changed ({', '.join(changed)})")
    missing = [out for out in outputs(job) if not (reports / out).exists()]
    if missing:
        reasons.append(f"output missing ({', '.join(missing)})")
    return reasons


def outputs(job: NotebookJob) -> list[str]:
    """The files a job writes itself, relative to reports/."""
    return [job.page, job.executed] + ([job.pdf_path] if job.pdf_path else [])


def load(reports: Path) -> dict[str, dict]:
    """The previous state; unreadable or absent means every job runs."""
    try:
        return json.loads((reports / STATE_NAME).read_text("utf-8"))
    except (OSError, ValueError):
        return {}


def save(reports: Path, state: dict[str, dict]) -> None:
    """Replace the state file atomically (a killed run leaves the previous or the new one)."""
    io.write_text(
        reports / STATE_NAME, json.dumps(state, indent=1, sort_keys=True, ensure_ascii=False)
    )
