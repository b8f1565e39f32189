"""The notebook phase of `palmares run`: plan which jobs must run, run them in parallel, keep state.

Jobs run in threads of this one process, each driving a warm kernel through papermill
(`pipeline.run.warm_kernel`; the kernels are separate processes, so the work is parallel).
Each finished job writes its
executed notebook, its HTML page and, when asked, its PDF; a failing job is reported with its
cell and error while the others go on.
"""

from __future__ import annotations

import os
import queue
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field

from pipeline import io
from pipeline.build.warehouse import connect_read_only
from pipeline.paths import Paths
from pipeline.run import freshness, page_inputs, pipeline_toml
from pipeline.run.pipeline_toml import NotebookJob

#: Seconds between two saves of the run state: an interrupted run redoes at most this much work,
#: and a run of 1,300 pages does not rewrite the state 1,300 times.
STATE_SAVE_INTERVAL = 5.0


@dataclass
class Plan:
    jobs: list[NotebookJob]
    reasons: dict[str, list[str]]  # job key -> why it runs; empty = up to date
    inputs: freshness.Inputs
    notebooks: dict[str, dict]  # notebook name -> source fingerprint
    retired: list[str] = field(default_factory=list)  # state keys no longer configured

    @property
    def to_run(self) -> list[NotebookJob]:
        return [job for job in self.jobs if self.reasons[job.key]]


@dataclass
class Outcome:
    executed: list[NotebookJob] = field(default_factory=list)
    skipped: list[NotebookJob] = field(default_factory=list)
    failed: list[tuple[NotebookJob, Exception]] = field(default_factory=list)


def notebook_paths(paths: Paths) -> dict[str, str]:
    """The path parameters every notebook may declare, relative to notebooks/ (its cwd)."""
    here = paths.notebooks
    return {
        "warehouse": os.path.relpath(paths.warehouse, here),
        "geometry_dir": os.path.relpath(paths.geometry_cache, here),
        "maps_dir": os.path.relpath(paths.reports / "maps", here),
        "out_dir": os.path.relpath(paths.reports / "tables", here),
        "figures_dir": os.path.relpath(paths.reports / "figures", here),
    }


def plan(paths: Paths, config: pipeline_toml.RunConfig, force: bool = False) -> Plan:
    """Every configured job with the reasons it must run (parameters checked first).

    What each page shows is fingerprinted for all jobs at once (`page_inputs.job_inputs`):
    planning reads the warehouse a few times, not once per job, and runs no kernel.
    """
    config_path = paths.root / pipeline_toml.CONFIG_NAME
    with connect_read_only(paths) as con:
        jobs = pipeline_toml.expand(
            config, paths.notebooks, con, notebook_paths(paths), config_path
        )
        pages = page_inputs.job_inputs(con, jobs, paths.geometry_cache)
    inputs = freshness.Inputs(io.code_fingerprint(), pages)
    notebooks = {
        spec.name: freshness.notebook_fingerprint(paths.notebooks / f"{spec.name}.ipynb")
        for spec in config.notebooks
    }
    previous = freshness.load(paths.reports)
    reasons = {}
    for job in jobs:
        why = freshness.reasons_to_run(
            job, previous.get(job.key), inputs, notebooks[job.notebook], paths.reports
        )
        reasons[job.key] = ["forced (--force)"] if force and not why else why
    current = {job.key for job in jobs}
    return Plan(jobs, reasons, inputs, notebooks, sorted(set(previous) - current))


def explain(plan: Plan) -> list[str]:
    """One line per job: ran or skipped, and why."""
    lines = []
    for job in plan.jobs:
        why = plan.reasons[job.key]
        lines.append(
            f"{'run ' if why else 'skip'}  {job.page}: {'; '.join(why) if why else 'up to date'}"
        )
    lines += [f"drop  {key}: no longer in {pipeline_toml.CONFIG_NAME}" for key in plan.retired]
    return lines


def execute(
    paths: Paths,
    plan: Plan,
    workers: int,
    produce: Callable[[NotebookJob], None],
    worker_session: Callable[[], AbstractContextManager] = nullcontext,
) -> Outcome:
    """Run the planned jobs in `workers` threads; record each success as it comes.

    Each thread holds `worker_session()` open while it takes jobs: the session owns what a
    thread keeps between jobs (a warm kernel) and releases it when the queue is empty.
    """
    from tqdm import tqdm

    state = freshness.load(paths.reports)
    for key in plan.retired:
        for relative in state[key].get("outputs", [key]):
            (paths.reports / relative).unlink(missing_ok=True)
        del state[key]
    outcome = Outcome(skipped=[job for job in plan.jobs if not plan.reasons[job.key]])
    todo = plan.to_run
    for job in todo:
        state.pop(job.key, None)  # a job that fails or is interrupted runs again next time
    freshness.save(paths.reports, state)
    if not todo:
        return outcome
    saved_at = time.monotonic()
    with tqdm(total=len(todo), desc="notebooks", unit="nb", file=sys.stderr, disable=None) as bar:
        for job, error in _in_threads(todo, workers, produce, worker_session):
            if error is not None:
                outcome.failed.append((job, error))
            else:
                outcome.executed.append(job)
                state[job.key] = freshness.record(job, plan.inputs, plan.notebooks[job.notebook])
                if time.monotonic() - saved_at > STATE_SAVE_INTERVAL:
                    freshness.save(paths.reports, state)
                    saved_at = time.monotonic()
            bar.update()
    freshness.save(paths.reports, state)
    outcome.failed.sort(key=lambda failure: failure[0].key)
    return outcome


def _in_threads(
    todo: list[NotebookJob],
    workers: int,
    produce: Callable[[NotebookJob], None],
    worker_session: Callable[[], AbstractContextManager],
) -> Iterator[tuple[NotebookJob, Exception | None]]:
    """Each job with its error (None for a success), as the worker threads finish them."""
    pending: queue.SimpleQueue[NotebookJob] = queue.SimpleQueue()
    for job in todo:
        pending.put(job)
    finished: queue.SimpleQueue[tuple[NotebookJob, Exception | None]] = queue.SimpleQueue()

    def work() -> None:
        with worker_session():
            while True:
                try:
                    job = pending.get_nowait()
                except queue.Empty:
                    return
                try:
                    produce(job)
                except Exception as exc:  # reported with the others; the run goes on
                    finished.put((job, exc))
                else:
                    finished.put((job, None))

    threads = [threading.Thread(target=work, daemon=True) for _ in range(min(workers, len(todo)))]
    for thread in threads:
        thread.start()
    for _ in todo:
        yield finished.get()
    for thread in threads:
        thread.join()
