"""The main job: build (when inputs changed) → the notebooks of pipeline.toml → the site.

Nothing is redone without a reason: the build is skipped when its inputs are unchanged
(`pipeline.build.steps`), and notebooks rerun only when what they depend on changed
(`pipeline.run.freshness`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

from pipeline.build.steps import BUILD_STEPS, Progress, Report, build, is_built, relative
from pipeline.build.warehouse import build_lock
from pipeline.paths import Paths
from pipeline.report import site
from pipeline.run import jobs, notebook, pipeline_toml, warm_kernel


class RunFailed(Exception):
    """Some notebooks failed; the others ran and the site lists what exists."""

    def __init__(self, failures: list):
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
            producer = PageProducer(paths, plan.to_run) if plan.to_run else None
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
    return outcome


#: The warm-up of the last run, under reports/: what its jobs imported, lazily included.
LEARNED_MODULES = ".warm-modules.json"


class PageProducer:
    """Execute a job's notebook in its thread's warm kernel, then write its page (and PDF)."""

    def __init__(self, paths: Paths, todo: list[pipeline_toml.NotebookJob]):
        self.paths = paths
        self.provenance = site.read_provenance(paths)
        self.learned = paths.reports / LEARNED_MODULES
        self.warm_up = warm_kernel.notebook_imports({job.source for job in todo})
        self.warm_up |= warm_kernel.load_learned(self.learned)
        self.local = threading.local()
        site.install_stylesheet(paths.reports)

    @contextmanager
    def worker_session(self) -> Iterator[None]:
        """One warm kernel per worker thread, shut down when the thread has no job left."""
        with warm_kernel.WarmKernel(self.paths.notebooks, self.warm_up) as kernel:
            self.local.kernel = kernel
            yield
        warm_kernel.save_learned(self.learned, self.warm_up)

    def __call__(self, job: pipeline_toml.NotebookJob) -> None:
        from pipeline.report import pdf

        reports = self.paths.reports
        executed = self.local.kernel.run(job, reports / job.executed)
        page = site.write_page(
            reports,
            job.page,
            job.title,
            notebook.render_body(executed),
            self.provenance,
            site.shown_parameters(job.parameters),
        )
        if job.pdf_path:
            pdf.html_to_pdf(page, reports / job.pdf_path)
