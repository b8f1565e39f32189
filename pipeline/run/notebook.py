"""Execute parameterised notebooks with papermill and render them as HTML without code.

Notebooks are executed from this process through the papermill API (one kernel per
notebook); rendering uses nbconvert's `basic` template, which links no CDN, wrapped in the
site's own page so every report carries the same style and provenance footer.
"""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path

import nbformat
import papermill
from jupyter_client.manager import AsyncKernelManager
from nbconvert import HTMLExporter

from pipeline import io
from pipeline.run.pipeline_toml import NotebookJob


class LocalSocketKernelManager(AsyncKernelManager):
    """Kernels reached through Unix sockets in the temp folder rather than TCP ports.

    Nothing listens on the network while notebooks run, and ipykernel has no reason to warn
    about plain-text TCP on every run; jupyter_client removes the socket files at shutdown.
    """

    working_dir: str | None = None  # where the kernel starts (see `kernel_manager_in`)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.transport = "ipc"
        self.ip = str(Path(tempfile.gettempdir()) / f"palmares-kernel-{uuid.uuid4().hex}")

    async def start_kernel(self, **kw) -> None:
        if self.working_dir is not None:
            kw.setdefault("cwd", self.working_dir)
        await super().start_kernel(**kw)

    async def _async_interrupt_kernel(self) -> None:
        """No SIGINT at shutdown: the notebook has finished, and the signal only made ipykernel
        print "KeyboardInterrupt caught in kernel" among the run's messages."""
        if not self.shutting_down:
            await super()._async_interrupt_kernel()


def kernel_manager_in(cwd: Path) -> type[LocalSocketKernelManager]:
    """A kernel manager starting its kernel in `cwd`. papermill's own `cwd` changes the whole
    process's directory, which parallel runs in threads would race on."""
    return type(
        "LocalSocketKernelManagerIn", (LocalSocketKernelManager,), {"working_dir": str(cwd)}
    )


class NotebookFailed(Exception):
    """A notebook raised: says which notebook, which cell and what error."""

    def __init__(self, job: NotebookJob, cell: int | None, source: str, error: str):
        self.job, self.cell, self.error = job, cell, error
        first_line = source.strip().splitlines()[0] if source.strip() else ""
        super().__init__(
            f"notebook {job.source.name} ({job.page}) failed in cell [{cell}] "
            f"«{first_line}»: {error}"
        )


def execute(job: NotebookJob, executed_path: Path, cwd: Path) -> nbformat.NotebookNode:
    """Run the notebook with its parameters; keep the executed copy as the audit trail.

    papermill saves the copy after every cell, so it writes to a temporary name renamed when
    the run succeeds: a killed run never leaves half an executed notebook in place of the last
    good one. A failed run is kept beside it as `<name>.failed.ipynb`, to read the error in.
    """
    failed = executed_path.with_suffix(".failed.ipynb")
    with io.atomic_path(executed_path) as partial:
        try:
            notebook = papermill.execute_notebook(
                str(job.source),
                str(partial),
                parameters=job.parameters,
                kernel_name="python3",
                progress_bar=False,
                kernel_manager_class=kernel_manager_in(cwd),
            )
        except papermill.PapermillExecutionError as exc:
            partial.replace(failed)
            raise NotebookFailed(
                job, exc.exec_count, exc.source, f"{exc.ename}: {exc.evalue}"
            ) from None
    failed.unlink(missing_ok=True)
    return notebook


def render_body(notebook: nbformat.NotebookNode) -> str:
    """HTML of the notebook's narrative and outputs, without code cells or prompts."""
    exporter = HTMLExporter(
        template_name="basic",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    body, _ = exporter.from_notebook_node(notebook)
    return body
