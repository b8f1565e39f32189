"""Making one page: its notebook run in the worker's warm kernel, then its HTML, then its PDF
printed in the same kernel.

Imported only when a run has pages to make: kernels, papermill and nbconvert stay out of the
start-up of a run with nothing to do.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from pipeline.paths import Paths
from pipeline.report import site
from pipeline.run import notebook, pipeline_toml, warm_kernel

#: The warm-up of the last run, under reports/: what its jobs imported, lazily included.
LEARNED_MODULES = ".warm-modules.json"


class PageProducer:
    """Execute a job's notebook in its thread's warm kernel, write its page, print its PDF."""

    def __init__(self, paths: Paths, todo: list[pipeline_toml.NotebookJob]):
        self.paths = paths
        self.provenance = site.read_provenance(paths)
        self.learned = paths.reports / LEARNED_MODULES
        self.warm_up = warm_kernel.notebook_imports({job.source for job in todo})
        self.warm_up |= warm_kernel.load_learned(self.learned)
        if any(job.pdf_path for job in todo):
            self.warm_up |= warm_kernel.pdf_imports()
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
            self.local.kernel.print_pdf(page, reports / job.pdf_path)
