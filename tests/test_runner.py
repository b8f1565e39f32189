"""Notebooks run through papermill with their parameters and render without code cells."""

import re
from pathlib import Path

import nbformat
import pytest

from pipeline.run.notebook import NotebookFailed, execute, render_body
from pipeline.run.pipeline_toml import NotebookJob


def write_notebook(path, *sources):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_markdown_cell("# Titre du rapport")]
    notebook.cells.append(
        nbformat.v4.new_code_cell("edition = 1999", metadata={"tags": ["parameters"]})
    )
    notebook.cells += [nbformat.v4.new_code_cell(source) for source in sources]
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(notebook, path)
    return path


def test_parameters_are_injected_and_code_is_hidden(tmp_path):
    source = write_notebook(
        tmp_path / "n.ipynb", "secret_code_marker = 1\nprint('édition', edition)"
    )
    job = NotebookJob("n", source, "Titre", "n.html", "Études", {"edition": 2024})
    executed = execute(job, tmp_path / "out" / "n.ipynb", cwd=tmp_path)
    html = render_body(executed)
    assert "édition 2024" in html
    assert "Titre du rapport" in html
    assert "secret_code_marker" not in html
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert (tmp_path / "out" / "n.ipynb").exists()


def test_a_failing_cell_is_named(tmp_path):
    source = write_notebook(tmp_path / "bad.ipynb", "x = 1", "raise ValueError('données absentes')")
    with pytest.raises(NotebookFailed) as failure:
        execute(
            NotebookJob("bad", source, "Mauvais", "bad.html", "Études"),
            tmp_path / "bad.out.ipynb",
            cwd=tmp_path,
        )
    assert failure.value.cell == 3
    assert "ValueError: données absentes" in str(failure.value)
    assert "bad.ipynb" in str(failure.value)
    assert "raise ValueError" in str(failure.value)


def test_parallel_notebooks_each_start_in_the_notebooks_folder(tmp_path, monkeypatch):
    """papermill's `cwd` changes the process's directory: parallel runs raced on it, and a kernel
    could start in the project root and miss ../data."""
    from concurrent.futures import ThreadPoolExecutor

    (tmp_path / "notebooks").mkdir()
    source = write_notebook(tmp_path / "notebooks" / "n.ipynb", "import os\nprint(os.getcwd())")
    monkeypatch.chdir(tmp_path)

    def run(number: int) -> str:
        job = NotebookJob("n", source, "Titre", f"{number}.html", "Études")
        executed = execute(job, tmp_path / "out" / f"{number}.ipynb", cwd=tmp_path / "notebooks")
        return executed.cells[-1].outputs[0]["text"].strip()

    with ThreadPoolExecutor(2) as pool:
        assert set(pool.map(run, range(4))) == {str(tmp_path / "notebooks")}
    assert Path.cwd() == tmp_path
