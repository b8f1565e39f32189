"""What each notebook job last ran with, so `palmares run` reruns only what changed.

A job reruns when its notebook's source changed (content, or modification time: `touch` works
as with make), its parameters or title changed, one of its *inputs* changed (what its page
shows, `pipeline.run.page_inputs`: the rows of its own collectivity or edition, or the tables
a study reads), the `pipeline/` code changed, one of its outputs is missing, or it failed last
time. The state is one JSON file under reports/, `{"format": 2, "jobs": {page: entry}}`,
replaced atomically as jobs finish, so an interrupted run keeps what it completed.
A state of another format (the first one was the bare `{page: entry}` mapping, with table
digests) is read for the outputs it lists, and its jobs simply run again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline import io

if TYPE_CHECKING:
    import duckdb

    from pipeline.run.pipeline_toml import NotebookJob

STATE_NAME = ".run-state.json"
STATE_FORMAT = 2
#: build_info changes with every build (date, commit) without any change of data.
UNVERSIONED_TABLES = {"build_info"}


@dataclass(frozen=True)
class Inputs:
    """What the jobs of one run depend on, computed once per run."""

    code: str  # hash of the pipeline package (code, SQL, templates)
    pages: dict[str, dict[str, str]]  # job key -> its named inputs (page_inputs.job_inputs)


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
        "title": job.title,
        "shows": job.shows,
        "code": inputs.code,
        "inputs": inputs.pages[job.key],
        "outputs": outputs(job),  # removed if the job leaves the configuration
    }


def reasons_to_run(
    job: NotebookJob, previous: dict | None, inputs: Inputs, notebook: dict, reports: Path
) -> list[str]:
    """Why the job must run; an empty list means it is up to date."""
    if previous is None:
        return ["never run (or failed last time)"]
    if not _readable(previous):
        return ["last run recorded by an earlier version of the runner"]
    reasons = []
    if previous["notebook"]["sha256"] != notebook["sha256"]:
        reasons.append(f"notebook {job.source.name} changed")
    elif previous["notebook"]["mtime_ns"] != notebook["mtime_ns"]:
        reasons.append(f"notebook {job.source.name} touched (same content, newer time)")
    if previous["parameters"] != job.parameters:
        reasons.append("parameters changed")
    if previous["title"] != job.title:
        reasons.append("title changed")
    if previous["code"] != inputs.code:
        reasons.append("pipeline/ code changed")
    if previous["shows"] != job.shows:
        reasons.append(f"what the page shows changed (shows = {job.shows or 'the tables read'})")
    else:
        reasons += _changed_inputs(job, previous["inputs"], inputs.pages[job.key])
    missing = [out for out in outputs(job) if not (reports / out).exists()]
    if missing:
        reasons.append(f"output missing ({', '.join(missing)})")
    return reasons


def _readable(entry: dict) -> bool:
    """Whether a state entry has this format's fields (an earlier one lacks `inputs`)."""
    notebook = entry.get("notebook")
    return (
        isinstance(notebook, dict)
        and {"sha256", "mtime_ns"} <= notebook.keys()
        and isinstance(entry.get("inputs"), dict)
        and {"parameters", "title", "shows", "code"} <= entry.keys()
    )


def _changed_inputs(job: NotebookJob, before: dict, now: dict[str, str]) -> list[str]:
    """One reason naming the inputs that changed, in the order page_inputs gives them."""
    changed = [name for name in now if before.get(name) != now[name]]
    changed += sorted(name for name in before if name not in now)
    if not changed:
        return []
    if job.shows is None:
        return [f"warehouse content changed ({', '.join(sorted(changed))})"]
    return [f"{', '.join(changed)} changed"]


def outputs(job: NotebookJob) -> list[str]:
    """The files a job writes itself, relative to reports/."""
    return [job.page, job.executed] + ([job.pdf_path] if job.pdf_path else [])


def load(reports: Path) -> dict[str, dict]:
    """The previous state, by job key; unreadable or absent means every job runs.

    The first format (a bare mapping of entries) is returned as it is: its entries name their
    outputs (a retired page is still removed) and lack `inputs`, so their jobs run again.
    """
    try:
        state = json.loads((reports / STATE_NAME).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(state, dict):
        return {}
    if "format" in state:
        jobs = state.get("jobs") if state["format"] == STATE_FORMAT else {}
    else:
        jobs = state
    if not isinstance(jobs, dict):
        return {}
    return {key: entry for key, entry in jobs.items() if isinstance(entry, dict)}


def save(reports: Path, state: dict[str, dict]) -> None:
    """Replace the state file atomically (a killed run leaves the previous or the new one)."""
    io.write_text(
        reports / STATE_NAME,
        json.dumps(
            {"format": STATE_FORMAT, "jobs": state}, indent=1, sort_keys=True, ensure_ascii=False
        ),
    )
