"""The notebook phase of `palmares run`: plan which jobs must run, run them in parallel, keep state.

Jobs run in threads of this one process, each driving its own kernel through papermill (the
kernels are separate processes, so the work is parallel). Each finished job writes its
executed notebook, its HTML page and, when asked, its PDF; a failing job is reported with its
cell and error while the others go on.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field

from pipeline import io
from pipeline.build.warehouse import connect_read_only
from pipeline.paths import Paths
from pipeline.run import freshness, pipeline_toml
from pipeline.run.pipeline_toml import NotebookJob


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
    }


def plan(paths: Paths, config: pipeline_toml.RunConfig, force: bool = False) -> Plan:
    """Every configured job with the reasons it must run (parameters checked first)."""
    config_path = paths.root / pipeline_toml.CONFIG_NAME
    with connect_read_only(paths) as con:
        jobs = pipeline_toml.expand(
            config, paths.notebooks, con, notebook_paths(paths), config_path
        )
        inputs = freshness.Inputs(io.code_fingerprint(), freshness.table_fingerprints(con))
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
    paths: Paths, plan: Plan, workers: int, produce: Callable[[NotebookJob], None]
) -> Outcome:
    """Run the planned jobs with `workers` kernels at a time; record each success at once."""
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
    with (
        ThreadPoolExecutor(max_workers=workers) as pool,
        tqdm(total=len(todo), desc="notebooks", unit="nb", file=sys.stderr, disable=None) as bar,
    ):
        futures = {pool.submit(produce, job): job for job in todo}
        for future in as_completed(futures):
            job = futures[future]
            try:
                future.result()
            except Exception as exc:  # reported with the others; the run goes on
                outcome.failed.append((job, exc))
            else:
                outcome.executed.append(job)
                state[job.key] = freshness.record(job, plan.inputs, plan.notebooks[job.notebook])
                freshness.save(paths.reports, state)
            bar.update()
    outcome.failed.sort(key=lambda failure: failure[0].key)
    return outcome
