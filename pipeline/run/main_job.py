"""The main job: build (when inputs changed) → the notebooks of pipeline.toml → the site.

Nothing is redone without a reason: the build is skipped when its inputs are unchanged
(`pipeline.build.steps`), and notebooks rerun only when what they depend on changed
(`pipeline.run.freshness`). A run that ends without a failure leaves a stamp of what it read,
so that the next one, when nothing changed, stops at once (`pipeline.run.unchanged`).
"""

from __future__ import annotations

from contextlib import nullcontext

from pipeline.build.lock import build_lock
from pipeline.build.steps import BUILD_STEPS, Progress, Report, build, is_built, relative
from pipeline.paths import Paths
from pipeline.report import site
from pipeline.run import jobs, pipeline_toml, unchanged


class RunFailed(Exception):
    """Some notebooks failed; the others ran and the site lists what exists."""

    def __init__(self, failures: list):
        from pipeline.run import notebook

        lines = [f"{len(failures)} notebook(s) failed:"] + [
            f"  {exc}" if isinstance(exc, notebook.NotebookFailed) else f"  {job.page}: {exc}"
            for job, exc in failures
        ]
        super().__init__("\n".join(lines))


def run(
    paths: Paths,
    report: Report = print,
    force: bool = False,
    explain: bool = False,
    workers: int | None = None,
) -> jobs.Outcome:
    """The main job, end to end, under the build lock: only what changed is redone."""
    config = pipeline_toml.read_config(paths.root / pipeline_toml.CONFIG_NAME)
    with build_lock(paths):
        unchanged.forget(paths)
        if not force and is_built(paths):
            progress = Progress(total=3, report=report)
            with progress.step("build") as details:
                details.append("warehouse and geometry cache up to date (inputs unchanged)")
        else:
            progress = Progress(total=BUILD_STEPS + 2, report=report)
            build(paths, progress)
        with progress.step("notebooks") as details:
            plan = jobs.plan(paths, config, force=force)
            if explain:
                for line in jobs.explain(plan):
                    report(line)
            producer = None
            if plan.to_run:  # kernels, papermill and nbconvert only when a page must be made
                from pipeline.run.pages import PageProducer

                producer = PageProducer(paths, plan.to_run)
            outcome = jobs.execute(
                paths,
                plan,
                workers or config.workers,
                producer,
                producer.worker_session if producer else nullcontext,
            )
            details.append(
                f"{len(outcome.executed)} executed, {len(outcome.skipped)} up to date"
                + (f", {len(outcome.failed)} FAILED" if outcome.failed else "")
            )
        with progress.step("site") as details:
            index = site.write_site(paths, plan.jobs, site.read_provenance(paths))
            details.append(relative(paths, index))
        if outcome.failed:
            raise RunFailed(outcome.failed)
        unchanged.write_stamp(paths)
    return outcome
