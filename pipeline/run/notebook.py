"""Execute parameterised notebooks with papermill and render them as HTML without code.

Notebooks are executed from this process through the papermill API, either in a kernel of
their own or in a warm kernel kept between jobs (`pipeline.run.warm_kernel`), through the
`palmares-warm` papermill engine: the executed notebook is a normal papermill output either
way. Rendering uses nbconvert's `basic` template, which links no CDN, wrapped in the site's own
page so every report carries the same style and provenance footer.
"""

from __future__ import annotations

import tempfile
import threading
import uuid
from pathlib import Path

import nbformat
import papermill
from jupyter_client.manager import AsyncKernelManager
from nbclient.exceptions import DeadKernelError
from nbconvert import HTMLExporter
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import Engine, papermill_engines

from pipeline import io
from pipeline.run.pipeline_toml import PATH_PARAMETERS, NotebookJob


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
    """A notebook raised or its kernel died: says which notebook, parameters, cell and error."""

    def __init__(self, job: NotebookJob, cell: int | None, source: str, error: str):
        self.job, self.cell, self.error = job, cell, error
        first_line = source.strip().splitlines()[0] if source.strip() else ""
        shown = ", ".join(f"{k}={v}" for k, v in job.parameters.items() if k not in PATH_PARAMETERS)
        super().__init__(
            f"notebook {job.source.name} ({job.page}{'; ' + shown if shown else ''}) failed "
            f"in cell [{cell}] «{first_line}»: {error}"
        )


class KernelDied(Exception):
    """The kernel of a warm run died in a cell (killed, crashed, out of memory)."""

    def __init__(self, cell: int, source: str, executed: nbformat.NotebookNode):
        super().__init__(f"kernel died in cell [{cell}]")
        self.cell, self.source, self.executed = cell, source, executed


class _KeptKernelClient(PapermillNotebookClient):
    """papermill's client on a kernel it does not own: it neither starts nor stops it."""

    running: tuple[int, str] = (0, "")

    def execute_cell(self, cell, cell_index, *args, **kwargs):
        self.running = (self.code_cells_executed + 1, cell.source)
        return super().execute_cell(cell, cell_index, *args, **kwargs)


class WarmEngine(Engine):
    """papermill engine running the notebook in the kernel it is given (`kernel=`)."""

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, kernel=None, **kwargs):
        client = _KeptKernelClient(nb_man, km=kernel.km, kernel_name=kernel_name)
        client.kc = kernel.kc
        try:
            return client.execute()
        except DeadKernelError:
            raise KernelDied(*client.running, nb_man.nb) from None


papermill_engines.register("palmares-warm", WarmEngine)


def execute(job: NotebookJob, executed_path: Path, cwd: Path, kernel=None) -> nbformat.NotebookNode:
    """Run the notebook with its parameters; keep the executed copy as the audit trail.

    `kernel`: a started `WarmKernel` to run in (its working directory is `cwd` already);
    without one, the notebook gets a kernel of its own, started in `cwd`.

    papermill writes the copy (after every cell in a kernel of its own, at the end in a warm
    one) to a temporary name renamed when the run succeeds: a killed run never leaves half an
    executed notebook in place of the last good one. A failed run is kept beside it as
    `<name>.failed.ipynb`, to read the error in.
    """
    failed = executed_path.with_suffix(".failed.ipynb")
    engine = (
        {"engine_name": "palmares-warm", "kernel": kernel, "request_save_on_cell_execute": False}
        if kernel is not None
        else {"kernel_manager_class": kernel_manager_in(cwd)}
    )
    with io.atomic_path(executed_path) as partial:
        try:
            notebook = papermill.execute_notebook(
                str(job.source),
                str(partial),
                parameters=job.parameters,
                kernel_name="python3",
                progress_bar=False,
                **engine,
            )
        except papermill.PapermillExecutionError as exc:
            partial.replace(failed)
            raise NotebookFailed(
                job, exc.exec_count, exc.source, f"{exc.ename}: {exc.evalue}"
            ) from None
        except KernelDied as exc:
            io.write_text(failed, nbformat.writes(exc.executed))
            raise NotebookFailed(
                job, exc.cell, exc.source, "the kernel died (killed, crashed or out of memory)"
            ) from None
    failed.unlink(missing_ok=True)
    return notebook


def render_body(notebook: nbformat.NotebookNode) -> str:
    """HTML of the notebook's narrative and outputs, without code cells or prompts."""
    exporter = getattr(_exporters, "html", None)
    if exporter is None:  # building one loads its templates: once per thread, not per page
        exporter = _exporters.html = HTMLExporter(
            template_name="basic",
            exclude_input=True,
            exclude_input_prompt=True,
            exclude_output_prompt=True,
        )
    body, _ = exporter.from_notebook_node(notebook)
    return body


_exporters = threading.local()
