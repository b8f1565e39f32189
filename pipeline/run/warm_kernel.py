"""A notebook kernel kept between jobs: the heavy imports are paid once, not once per page.

A page's own code takes about 0.1 s; starting a kernel and importing pandas, geopandas,
matplotlib and the pipeline takes about 2.5 s. A `WarmKernel` starts one kernel, imports what
the notebooks import (`warm_up`), and runs jobs one after the other. After each job
`pipeline.run.isolation.reset` puts the kernel back as a fresh one left it, so a job cannot see
what the previous one did. The kernel is replaced by a fresh one:
- after a job that failed or killed its kernel (the failure is the job's, the next job
  starts clean);
- after a job that imported a module the warm-up lacks (a module cannot be unloaded): the
  next kernel imports it in its warm-up;
- after `max_jobs` jobs, or once it holds more than `max_memory` bytes.
Each kernel belongs to the thread that created it (its sockets live in that thread's event loop).
"""

from __future__ import annotations

import ast
import importlib.util
import json
from collections.abc import Iterable
from pathlib import Path

import nbformat
import psutil
from jupyter_core.utils import ensure_async, run_sync

from pipeline import io
from pipeline.run import notebook
from pipeline.run.pipeline_toml import NotebookJob

MAX_JOBS = 250
MAX_MEMORY = 1536 * 2**20  # bytes of resident memory
STARTUP_TIMEOUT = 60  # seconds for the kernel to answer, as papermill's default
PDF_TIMEOUT = 600  # seconds for one page's PDF (a full-size edition page takes about 10 s)
#: What prints a page's PDF in the kernel (`WarmKernel.print_pdf`).
PDF_MODULE = "pipeline.report.pdf"


class KernelUnusable(Exception):
    """The kernel could not be started or put back in its fresh state."""


class PdfFailed(Exception):
    """A page's PDF could not be printed (the kernel's error, or its silence)."""


class WarmKernel:
    """One kernel, started on first use, reset after each job, replaced when it must be."""

    def __init__(
        self,
        cwd: Path,
        modules: set[str],
        max_jobs: int = MAX_JOBS,
        max_memory: int = MAX_MEMORY,
    ):
        self.cwd = cwd
        #: What the warm-up imports; it grows with what jobs import beyond it. The set is the
        #: caller's: kernels given the same set learn from one another.
        self.modules = modules
        self.max_jobs, self.max_memory = max_jobs, max_memory
        self.km = self.kc = None
        self.jobs_run = 0
        self.kernels_started = 0

    def run(self, job: NotebookJob, executed_path: Path):
        """Execute `job` (see `notebook.execute`), then reset or replace the kernel."""
        if self.km is None:
            self._start()
        try:
            executed = notebook.execute(job, executed_path, self.cwd, kernel=self)
        except BaseException:
            self.stop()
            raise
        self.jobs_run += 1
        self._reset_or_replace()
        return executed

    def print_pdf(self, html: Path, out: Path) -> None:
        """Print a page to PDF in the kernel (`pipeline.report.pdf.html_to_pdf`), then reset it.

        WeasyPrint takes 2-3 s a page, in Python: in the kernel it runs beside the other
        workers' kernels, instead of holding the GIL of the process that drives them all.
        """
        if self.km is None:
            self._start()
        path = "__import__('pathlib').Path"
        code = (
            f"__import__({PDF_MODULE!r}, fromlist=['_']).html_to_pdf("
            f"{path}({str(html.resolve())!r}), {path}({str(out.resolve())!r}))"
        )
        try:
            self._silent(code, timeout=PDF_TIMEOUT)
        except KernelUnusable as exc:
            self.stop()
            raise PdfFailed(f"PDF {out.name} not printed: {exc}") from exc
        self._reset_or_replace()

    def _reset_or_replace(self) -> None:
        """After a job or a PDF: reset the kernel, or stop it for a fresh one when it imported
        modules the warm-up lacks (learned for the next), is worn out or cannot be reset."""
        try:
            imported = self._reset()
        except KernelUnusable:  # what ran is done; the next job gets a fresh kernel
            self.stop()
            return
        if imported:
            self.modules.update(imported)
            self.stop()
        elif self.jobs_run >= self.max_jobs or self.memory() > self.max_memory:
            self.stop()

    def memory(self) -> int:
        """Resident memory of the kernel process, in bytes (0 when none runs)."""
        if self.km is None:
            return 0
        try:
            return psutil.Process(self.km.provisioner.pid).memory_info().rss
        except psutil.Error:
            return 0

    def stop(self) -> None:
        """Shut the kernel down (killed if it does not answer); a no-op without one."""
        km, kc, self.km, self.kc = self.km, self.kc, None, None
        if km is None:
            return
        kc.stop_channels()
        try:
            _wait(km.shutdown_kernel, now=True)
        finally:
            _wait(km.cleanup_resources)

    def __enter__(self) -> WarmKernel:
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def _start(self) -> None:
        km = notebook.LocalSocketKernelManager(kernel_name="python3")
        _wait(
            km.start_kernel,
            cwd=str(self.cwd),
            extra_arguments=["--HistoryManager.hist_file=:memory:"],
        )
        kc = km.client()
        kc.start_channels()
        self.km, self.kc = km, kc
        try:
            _wait(kc.wait_for_ready, timeout=STARTUP_TIMEOUT)
            self._silent(
                "__import__('pipeline.run.isolation', fromlist=['_']).warm_up("
                f"{sorted(self.modules)!r})"
            )
        except BaseException:
            self.stop()
            raise
        self.jobs_run = 0
        self.kernels_started += 1

    def _reset(self) -> list[str]:
        """Put the kernel back in its fresh state; the modules the job imported beyond it."""
        reply = self._silent(
            f"__import__('pipeline.run.isolation', fromlist=['_']).reset({str(self.cwd)!r})",
            result="__import__('pipeline.run.isolation', fromlist=['_']).imported_by_last_job",
        )
        return json.loads(ast.literal_eval(reply["text/plain"]))

    def _silent(
        self, code: str, result: str | None = None, timeout: float = STARTUP_TIMEOUT
    ) -> dict:
        """Run `code` without output or history; return the value of `result` (an expression)."""
        expressions = {"result": result} if result else {}
        try:
            reply = _wait(
                self.kc.execute,
                code,
                silent=True,
                store_history=False,
                user_expressions=expressions,
                reply=True,
                timeout=timeout,
            )
        except TimeoutError as exc:
            raise KernelUnusable(f"the kernel did not answer in {timeout} s") from exc
        content = reply["content"]
        if content["status"] != "ok":
            raise KernelUnusable(
                f"{content.get('ename')}: {content.get('evalue')} (running {code[:80]}…)"
            )
        if result is None:
            return {}
        value = content["user_expressions"]["result"]
        if value["status"] != "ok":
            raise KernelUnusable(f"{value.get('ename')}: {value.get('evalue')}")
        return value["data"]


@run_sync
async def _wait(method, *args, **kwargs):
    """Call a method of the async kernel manager or client and wait for it, in this thread's
    event loop (the one nbclient uses for the same kernel)."""
    return await ensure_async(method(*args, **kwargs))


def load_learned(path: Path) -> set[str]:
    """The modules earlier runs' jobs imported beyond the warm-up (none if unreadable)."""
    try:
        names = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return set()
    return {name for name in names if isinstance(name, str)} if isinstance(names, list) else set()


def save_learned(path: Path, modules: set[str]) -> None:
    """Keep the warm-up for the next run, so its kernels need not learn it again."""
    io.write_text(path, json.dumps(sorted(modules), indent=0))


def pdf_imports() -> set[str]:
    """What the warm-up imports for `WarmKernel.print_pdf`."""
    return {PDF_MODULE} | _imported_by_pipeline({PDF_MODULE})


def notebook_imports(sources: Iterable[Path]) -> set[str]:
    """What the warm-up imports: the modules the notebooks' code cells import at top level, and
    every module the pipeline modules among them import, in a function or not (the pipeline
    defers heavy imports such as mapclassify or openpyxl to the function that needs them: a
    kernel that met them only in a job would have to be replaced)."""
    modules = set()
    for source in sources:
        for cell in nbformat.read(source, as_version=4).cells:
            if cell.cell_type != "code":
                continue
            try:
                tree = ast.parse(cell.source)
            except SyntaxError:
                continue  # the job will report it in its own cell
            modules |= _imported(tree.body)
    return modules | _imported_by_pipeline(modules)


def _imported(nodes: Iterable[ast.AST]) -> set[str]:
    """Modules named by these import statements (`from a import b` names `a` and `a.b`)."""
    names = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _imported_by_pipeline(modules: set[str]) -> set[str]:
    """Every import statement of the `pipeline` modules in `modules`, followed through the
    pipeline modules they import in turn (read from source, nothing imported here)."""
    found: set[str] = set()
    todo = [name for name in modules if name.split(".")[0] == "pipeline"]
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            continue  # `pipeline.x.Name`: a name in a module, not a module
        if spec is None or not (spec.origin or "").endswith(".py"):
            continue
        imported = _imported(ast.walk(ast.parse(Path(spec.origin).read_text("utf-8"))))
        found |= imported
        todo += [module for module in imported if module.split(".")[0] == "pipeline"]
    return found
