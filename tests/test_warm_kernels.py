"""Warm kernels: jobs share a kernel yet each runs as if its kernel were new.

Each test runs hand-made notebooks through `WarmKernel`, the way `palmares run` does, and looks
from the next job (or from this process) for what the previous job left behind.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import duckdb
import nbformat
import pytest

from pipeline.formatting import format_fr
from pipeline.run import notebook
from pipeline.run.notebook import NotebookFailed
from pipeline.run.pipeline_toml import NotebookJob
from pipeline.run.warm_kernel import (
    PdfFailed,
    WarmKernel,
    load_learned,
    notebook_imports,
    pdf_imports,
    save_learned,
)

WARM = ["pandas", "matplotlib.pyplot", "duckdb", "pipeline.formatting"]


def write_notebook(path, *sources):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("step = 0", metadata={"tags": ["parameters"]})]
    nb.cells += [nbformat.v4.new_code_cell(source) for source in sources]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)
    return path


def job(source, step: int = 0) -> NotebookJob:
    return NotebookJob(
        source.stem, source, "Titre", f"{source.stem}-{step}.html", "Études", {"step": step}
    )


def printed(executed) -> str:
    """What the notebook printed (stdout)."""
    return "".join(
        output.get("text", "")
        for cell in executed.cells
        for output in cell.get("outputs", [])
        if output.get("name") == "stdout"
    )


@pytest.fixture
def kernel(tmp_path):
    with WarmKernel(tmp_path, set(WARM)) as warm:
        yield warm


LEAVE_EVERYTHING = """
import os, sys, warnings
import duckdb
import matplotlib as mpl
import matplotlib.pyplot as plt
import pandas as pd
import pipeline.formatting
left_variable = 1
figure = plt.figure()
mpl.rcParams["lines.linewidth"] = 9
pd.set_option("display.max_rows", 3)
pipeline.formatting.LEFT = "module attribute"
pipeline.formatting.format_fr = None
os.environ["PALMARES_LEFT"] = "1"
sys.path.append("/left")
warnings.simplefilter("error")
os.makedirs("elsewhere", exist_ok=True)
os.chdir("elsewhere")
connection = duckdb.connect(DATABASE)
print("left", step)
"""

LOOK_FOR_IT = """
import os, sys, warnings
import matplotlib as mpl
import matplotlib.pyplot as plt
import pandas as pd
import pipeline.formatting
print(sorted(name for name in ("left_variable", "figure", "connection") if name in dir()))
print(plt.get_fignums(), mpl.rcParams["lines.linewidth"], pd.get_option("display.max_rows"))
print(hasattr(pipeline.formatting, "LEFT"), pipeline.formatting.format_fr(1234))
print(os.environ.get("PALMARES_LEFT"), "/left" in sys.path, os.getcwd() == CWD)
try:
    warnings.warn("only a warning", UserWarning)
    print("warning shown")
except UserWarning:
    print("warning raised")
"""


def test_a_job_sees_nothing_the_previous_job_left_in_the_kernel(kernel, tmp_path):
    database = tmp_path / "w.duckdb"
    duckdb.connect(str(database)).close()
    leave = write_notebook(
        tmp_path / "leave.ipynb", f"DATABASE = {str(database)!r}", LEAVE_EVERYTHING
    )
    look = write_notebook(tmp_path / "look.ipynb", f"CWD = {str(tmp_path)!r}", LOOK_FOR_IT)
    for _ in range(2):  # the kernel learns what the jobs import beyond its warm-up
        kernel.run(job(leave, 0), tmp_path / "out" / "learn.ipynb")
        fresh = printed(kernel.run(job(look, 1), tmp_path / "out" / "fresh.ipynb"))
    started = kernel.kernels_started
    assert "left 2" in printed(kernel.run(job(leave, 2), tmp_path / "out" / "leave.ipynb"))
    # the connection the job left open was closed: this process can now open the file to write
    duckdb.connect(str(database)).close()
    after = printed(kernel.run(job(look, 1), tmp_path / "out" / "after.ipynb"))
    assert after == fresh
    assert fresh.splitlines() == [
        "[]",
        "[] 1.5 60",
        f"False {format_fr(1234)}",
        "None False True",
        "warning shown",
    ]
    assert kernel.kernels_started == started  # the same kernel ran both jobs


def test_the_executed_notebook_is_a_papermill_output_with_fresh_execution_counts(kernel, tmp_path):
    source = write_notebook(tmp_path / "n.ipynb", "x = step * 2", "print(x)")
    for step in (3, 4):
        executed = kernel.run(job(source, step), tmp_path / "out" / f"n{step}.ipynb")
    on_disk = nbformat.read(tmp_path / "out" / "n4.ipynb", as_version=4)
    assert on_disk.metadata.papermill.parameters == {"step": 4}
    assert "injected-parameters" in on_disk.cells[1].metadata.tags
    assert [cell.execution_count for cell in on_disk.cells] == [1, 2, 3, 4]
    assert printed(executed) == "8\n"


@pytest.mark.parametrize(
    "fatal, error",
    [
        ("raise ValueError('données absentes')", "ValueError: données absentes"),
        ("import os\nos._exit(3)", "the kernel died"),
    ],
)
def test_a_job_that_fails_or_kills_its_kernel_fails_alone(kernel, tmp_path, fatal, error):
    bad = write_notebook(
        tmp_path / "bad.ipynb", "import pipeline.formatting\npipeline.formatting.LEFT = 1", fatal
    )
    good = write_notebook(
        tmp_path / "good.ipynb",
        "import pipeline.formatting\nprint(hasattr(pipeline.formatting, 'LEFT'))",
    )
    for _ in range(2):  # the kernel learns what the jobs import beyond its warm-up
        assert printed(kernel.run(job(good), tmp_path / "out" / "good0.ipynb")) == "False\n"
    started = kernel.kernels_started
    with pytest.raises(NotebookFailed) as failure:
        kernel.run(job(bad, 7), tmp_path / "out" / "bad.ipynb")
    message = str(failure.value)
    assert "bad.ipynb" in message and "step=7" in message and "cell [4]" in message
    assert error in message
    assert (tmp_path / "out" / "bad.failed.ipynb").exists()
    assert printed(kernel.run(job(good, 1), tmp_path / "out" / "good1.ipynb")) == "False\n"
    assert kernel.kernels_started == started + 1  # the failure's kernel was replaced


def test_a_job_importing_a_new_module_hands_over_to_a_kernel_that_imports_it(kernel, tmp_path):
    importing = write_notebook(
        tmp_path / "imports.ipynb", "import json.tool\njson.tool.LEFT = 1\nprint(step)"
    )
    look = write_notebook(
        tmp_path / "look.ipynb", "import json.tool\nprint(hasattr(json.tool, 'LEFT'))"
    )
    neutral = write_notebook(tmp_path / "neutral.ipynb", "print(step)")
    for _ in range(2):  # the kernel learns what any job imports beyond its warm-up
        kernel.run(job(neutral), tmp_path / "out" / "learn.ipynb")
    started = kernel.kernels_started
    assert "json.tool" not in kernel.modules
    kernel.run(job(importing), tmp_path / "out" / "a.ipynb")
    assert "json.tool" in kernel.modules
    assert printed(kernel.run(job(look), tmp_path / "out" / "b.ipynb")) == "False\n"
    kernel.run(job(importing, 1), tmp_path / "out" / "c.ipynb")
    assert printed(kernel.run(job(look), tmp_path / "out" / "d.ipynb")) == "False\n"
    assert kernel.kernels_started == started + 1  # the next kernel knew json.tool from its warm-up


@pytest.mark.parametrize("limits", [{"max_jobs": 2}, {"max_memory": 1}])
def test_kernels_are_recycled_after_some_jobs_or_once_they_grow(tmp_path, limits):
    source = write_notebook(tmp_path / "n.ipynb", "print(step)")
    with WarmKernel(tmp_path, set(WARM), **limits) as warm:
        for step in range(2):  # the kernel learns what the jobs import beyond its warm-up
            warm.run(job(source, step), tmp_path / "out" / f"{step}.ipynb")
        started = warm.kernels_started
        for step in range(4):
            warm.run(job(source, step), tmp_path / "out" / f"{step}.ipynb")
        assert warm.kernels_started - started == (2 if "max_jobs" in limits else 4)


def test_the_warm_up_is_what_the_notebooks_and_the_pipeline_modules_they_use_import(tmp_path):
    source = write_notebook(
        tmp_path / "n.ipynb",
        "import duckdb\nfrom pipeline.report import stats_pack\nfrom . import nothing",
        "def f():\n    import zipapp  # only when called",
        "not python (",
    )
    modules = notebook_imports([source])
    assert {"duckdb", "pipeline.report", "pipeline.report.stats_pack"} <= modules
    assert "openpyxl" in modules  # imported inside a function of stats_pack: warmed all the same
    assert "zipapp" not in modules  # a notebook's own lazy import is not followed


@pytest.fixture(scope="module")
def warm_run(real_site):
    assert real_site.first_run.returncode == 0, real_site.first_run.stderr
    return real_site.paths


def test_the_pages_of_a_warm_run_equal_those_of_one_kernel_per_job(warm_run, tmp_path):
    from pipeline.run import jobs, pipeline_toml

    config = pipeline_toml.read_config(warm_run.root / pipeline_toml.CONFIG_NAME)
    plan = jobs.plan(warm_run, config)
    assert len(plan.jobs) == 8 and not plan.to_run

    def cold(job):  # a kernel of its own, two at a time as the run's workers
        return notebook.execute(job, tmp_path / job.executed, cwd=warm_run.notebooks)

    with ThreadPoolExecutor(2) as pool:
        for each, alone in zip(plan.jobs, pool.map(cold, plan.jobs), strict=True):
            warm = nbformat.read(warm_run.reports / each.executed, as_version=4)
            assert same_page(notebook.render_body(warm)) == same_page(notebook.render_body(alone))


def same_page(body: str) -> str:
    """A page body without the id papermill gives its injected-parameters cell at each run."""
    return re.sub(r'id="cell-id=[^"]*"', "", body)


def test_what_jobs_imported_is_kept_for_the_next_run(tmp_path):
    learned = tmp_path / "reports" / ".warm-modules.json"
    save_learned(learned, {"json.tool", "pipeline.formatting"})
    assert load_learned(learned) == {"json.tool", "pipeline.formatting"}
    learned.write_text('{"not": "a list"}', "utf-8")
    assert load_learned(learned) == set()
    assert load_learned(tmp_path / "absent.json") == set()


def test_a_job_that_breaks_the_reset_keeps_its_page_and_hands_over_a_fresh_kernel(kernel, tmp_path):
    breaker = write_notebook(
        tmp_path / "breaker.ipynb",
        "import sys\nsys.modules['pipeline.run.isolation'] = None\nprint('fait')",
    )
    good = write_notebook(tmp_path / "good.ipynb", "print(step)")
    for step in range(2):  # the kernel learns what the jobs import beyond its warm-up
        kernel.run(job(good, step), tmp_path / "out" / "learn.ipynb")
    started = kernel.kernels_started
    assert printed(kernel.run(job(breaker), tmp_path / "out" / "breaker.ipynb")) == "fait\n"
    assert printed(kernel.run(job(good, 5), tmp_path / "out" / "good.ipynb")) == "5\n"
    assert kernel.kernels_started == started + 1


def test_a_failure_outside_the_notebook_is_named_with_its_page(tmp_path):
    from pipeline.run.main_job import RunFailed

    source = write_notebook(tmp_path / "n.ipynb", "print(step)")
    failure = RunFailed([(job(source, 3), OSError("disque plein"))])
    assert "n-3.html: disque plein" in str(failure)


def test_a_page_is_printed_to_pdf_in_the_kernel_and_a_failed_print_fails_alone(tmp_path):
    page = tmp_path / "page.html"
    page.write_text("<h1>Édition 2021</h1><p>&lt;b&gt;texte&lt;/b&gt;</p>", "utf-8")
    good = write_notebook(tmp_path / "good.ipynb", "import pipeline.formatting\nprint(step)")
    with WarmKernel(tmp_path, set(WARM) | pdf_imports()) as warm:
        warm.run(job(good), tmp_path / "out" / "learn.ipynb")
        warm.print_pdf(page, tmp_path / "page.pdf")
        assert (tmp_path / "page.pdf").read_bytes().startswith(b"%PDF")
        with pytest.raises(PdfFailed, match="absent.pdf not printed"):
            warm.print_pdf(tmp_path / "absent.html", tmp_path / "absent.pdf")
        assert not (tmp_path / "absent.pdf").exists()
        assert printed(warm.run(job(good, 4), tmp_path / "out" / "good.ipynb")) == "4\n"
