"""Execute parameterised notebooks with papermill and render them as HTML without code.

Notebooks are executed from this process through the papermill API (one kernel per
notebook); rendering uses nbconvert's `basic` template, which links no CDN, wrapped in the
site's own page so every report carries the same style and provenance footer.
"""

from __future__ import annotations

import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import papermill
from jupyter_client.manager import AsyncKernelManager
from nbconvert import HTMLExporter


class LocalSocketKernelManager(AsyncKernelManager):
    """Kernels reached through Unix sockets in the temp folder rather than TCP ports.

    Nothing listens on the network while notebooks run, and ipykernel has no reason to warn
    about plain-text TCP on every run; jupyter_client removes the socket files at shutdown.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.transport = "ipc"
        self.ip = str(Path(tempfile.gettempdir()) / f"palmares-kernel-{uuid.uuid4().hex}")


@dataclass(frozen=True)
class NotebookJob:
    """One notebook executed with one parameter set."""

    name: str  # output stem, e.g. "overview"
    source: Path  # notebooks/<notebook>.ipynb, committed without outputs
    title: str  # page title, in French
    parameters: dict = field(default_factory=dict)


class NotebookFailed(Exception):
    """A notebook raised: says which notebook, which cell and what error."""

    def __init__(self, job: NotebookJob, cell: int | None, source: str, error: str):
        self.job, self.cell, self.error = job, cell, error
        first_line = source.strip().splitlines()[0] if source.strip() else ""
        super().__init__(
            f"notebook {job.source.name} ({job.name}) failed in cell [{cell}] "
            f"«{first_line}»: {error}"
        )


def execute(job: NotebookJob, executed_path: Path, cwd: Path) -> nbformat.NotebookNode:
    """Run the notebook with its parameters; keep the executed copy as the audit trail."""
    executed_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return papermill.execute_notebook(
            str(job.source),
            str(executed_path),
            parameters=job.parameters,
            kernel_name="python3",
            progress_bar=False,
            cwd=str(cwd),
            kernel_manager_class=LocalSocketKernelManager,
        )
    except papermill.PapermillExecutionError as exc:
        raise NotebookFailed(job, exc.exec_count, exc.source, f"{exc.ename}: {exc.evalue}") from None


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
