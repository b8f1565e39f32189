"""The main job: build (when inputs changed) → the notebooks of pipeline.toml → the site.

Nothing is redone without a reason: the build is skipped when its inputs are unchanged
(`pipeline.build.steps`), and notebooks rerun only when what they depend on changed
(`pipeline.run.freshness`).
"""

from __future__ import annotations

from collections.abc import Callable

from pipeline.build.steps import BUILD_STEPS, Progress, Report, build, is_built, relative
from pipeline.build.warehouse import build_lock
from pipeline.paths import Paths
from pipeline.report import site
from pipeline.run import jobs, pipeline_toml


class RunFailed(Exception):
    """Some notebooks failed; the others ran and the site lists what exists."""

    def __init__(self, failures: list):
        lines = [f"{len(failures)} notebook(s) failed:"] + [f"  {exc}" for _, exc in failures]
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
            produce = _page_producer(paths) if plan.to_run else None
            outcome = jobs.execute(paths, plan, workers or config.workers, produce)
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


def _page_producer(paths: Paths) -> Callable[[pipeline_toml.NotebookJob], None]:
    """Execute a job's notebook, then write its page (and PDF) with the site's provenance."""
    from pipeline.report import pdf
    from pipeline.run import notebook

    provenance = site.read_provenance(paths)
    site.install_stylesheet(paths.reports)

    def produce(job: pipeline_toml.NotebookJob) -> None:
        executed = notebook.execute(job, paths.reports / job.executed, cwd=paths.notebooks)
        page = site.write_page(
            paths.reports,
            job.page,
            job.title,
            notebook.render_body(executed),
            provenance,
            site.shown_parameters(job.parameters),
        )
        if job.pdf_path:
            pdf.html_to_pdf(page, paths.reports / job.pdf_path)

    return produce
