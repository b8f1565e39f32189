"""`palmares run`'s notebook phase: parameters checked first, only what changed reruns, a
failing notebook does not stop the others."""

from __future__ import annotations

import os
import textwrap

import nbformat
import pytest
from conftest import TINY_BUILD_INFO, TINY_SOURCES, tiny_tables

from pipeline import io
from pipeline.build.warehouse import build_warehouse
from pipeline.errors import InputError
from pipeline.report import site
from pipeline.run import freshness, jobs, notebook, pipeline_toml
from pipeline.run.pipeline_toml import ParameterError


def write_notebook(path, parameters: str, *sources: str):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_markdown_cell(f"# {path.stem}"),
        nbformat.v4.new_code_cell(parameters, metadata={"tags": ["parameters"]}),
    ]
    notebook.cells += [nbformat.v4.new_code_cell(source) for source in sources]
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(notebook, path)


def write_config(paths, text: str):
    (paths.root / pipeline_toml.CONFIG_NAME).write_text(textwrap.dedent(text), "utf-8")
    return pipeline_toml.read_config(paths.root / pipeline_toml.CONFIG_NAME)


@pytest.fixture
def project(tmp_paths):
    """A root with the tiny warehouse and two notebooks: one per edition set, one reading a
    table."""
    build_warehouse(tmp_paths, tiny_tables(), TINY_SOURCES, TINY_BUILD_INFO)
    tmp_paths.notebooks.mkdir()
    write_notebook(
        tmp_paths.notebooks / "edition.ipynb",
        "edition = 1999\nwarehouse = ''",
        "print('édition', edition)",
    )
    write_notebook(tmp_paths.notebooks / "regions.ipynb", "label: str = 'x'", "print(label)")
    return tmp_paths


CONFIG = """
    [run]
    workers = 2

    [[notebook]]
    name = "edition"
    title = "Édition {edition}"
    page = "editions/{edition}.html"
    section = "Éditions"
    sets = [{edition = 2023}, {edition = 2024}]
    reads = ["laureates"]

    [[notebook]]
    name = "regions"
    title = "Régions"
    page = "regions.html"
    parameters = {label = "régions"}
    reads = ["region"]
"""


def fake_produce(paths, ran: list):
    """Write a job's outputs without a kernel: these tests are about what runs, not how."""

    def produce(job):
        ran.append(job.page)
        for relative in freshness.outputs(job):
            (paths.reports / relative).parent.mkdir(parents=True, exist_ok=True)
            (paths.reports / relative).write_text(job.title, "utf-8")

    return produce


def run_once(paths, config, force=False) -> list[str]:
    ran: list[str] = []
    plan = jobs.plan(paths, config, force=force)
    outcome = jobs.execute(paths, plan, config.workers, fake_produce(paths, ran))
    assert not outcome.failed
    return sorted(ran)


def test_parameters_and_path_parameters_are_given_to_declaring_notebooks(project):
    config = write_config(project, CONFIG)
    plan = jobs.plan(project, config)
    params = {job.page: job.parameters for job in plan.jobs}
    assert params == {
        "editions/2023.html": {"edition": 2023, "warehouse": "../data/processed/warehouse.duckdb"},
        "editions/2024.html": {"edition": 2024, "warehouse": "../data/processed/warehouse.duckdb"},
        "regions.html": {"label": "régions"},  # it declares no path parameter
    }
    assert [job.title for job in plan.jobs] == ["Édition 2023", "Édition 2024", "Régions"]


@pytest.mark.parametrize(
    "sets, problem",
    [
        ('[{edition = "2024"}]', "parameter 'edition' must be int, not str"),
        ("[{edition = true}]", "parameter 'edition' must be int, not bool"),
        ("[{editon = 2024}]", "unknown parameter 'editon'"),
    ],
)
def test_a_wrong_parameter_stops_the_run_before_any_kernel_starts(project, sets, problem):
    config = write_config(project, CONFIG.replace("[{edition = 2023}, {edition = 2024}]", sets))
    ran: list[str] = []
    with pytest.raises(ParameterError, match=problem) as error:
        plan = jobs.plan(project, config)
        jobs.execute(project, plan, 1, fake_produce(project, ran))
    assert "notebook edition" in str(error.value)
    assert ran == [] and not project.reports.exists()


def test_annotations_type_parameters(project):
    config = write_config(project, CONFIG.replace('{label = "régions"}', "{label = 3}"))
    with pytest.raises(ParameterError, match="parameter 'label' must be str, not int"):
        jobs.plan(project, config)


@pytest.mark.parametrize(
    "cell, declared",
    [
        ("claims: bool = False", {"claims": "bool"}),
        ("edition = 2024  # année du palmarès", {"edition": "int"}),
        ("share = 1  # type: float", {"share": "float"}),
        (
            "editions = [\n    2021,\n    2024,\n]\nlevel = 'region'",
            {"editions": "list", "level": "str"},
        ),
        ("level = LEVELS[0]", {"level": None}),  # not a literal: any value
    ],
)
def test_papermill_infers_the_declared_parameters(tmp_path, cell, declared):
    write_notebook(tmp_path / "n.ipynb", cell)
    assert pipeline_toml.declared_parameters(tmp_path / "n.ipynb") == declared


@pytest.mark.parametrize(
    "damage, problem",
    [
        (lambda path: write_notebook(path, "edition = (2024"), "not valid Python"),
        (lambda path: path.write_text("{", "utf-8"), "cannot read the notebook"),
    ],
    ids=["syntax", "not-json"],
)
def test_an_unreadable_parameters_cell_is_an_input_error(tmp_path, damage, problem):
    path = tmp_path / "n.ipynb"
    damage(path)
    with pytest.raises(InputError, match=problem) as error:
        pipeline_toml.declared_parameters(path)
    assert error.value.path == path


def test_two_parameters_cells_are_refused(tmp_path):
    path = tmp_path / "n.ipynb"
    write_notebook(path, "x = 1")
    notebook = nbformat.read(path, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell("y = 2", metadata={"tags": ["parameters"]}))
    nbformat.write(notebook, path)
    with pytest.raises(InputError, match="expected one cell tagged `parameters`, found 2"):
        pipeline_toml.declared_parameters(path)


@pytest.mark.parametrize(
    "text, problem",
    [
        ("[[notebook]]\nname = 'x'\n", "`title` is required"),
        (
            "[[notebook]]\nname = 'x'\ntitle = 'X'\npage = 'x.html'\nfor_each = 'region'\n",
            "for_each must be one of",
        ),
        ("[[notebook]]\nname = 'x'\ntitle = 'X'\npage = '../x.html'\n", "relative .html path"),
        (
            "[[notebook]]\nname = 'x'\ntitle = 'X'\npage = 'x.html'\ncolour = 1\n",
            "unknown keys ['colour']",
        ),
        ("[[notebook]]\nname = 'x'\ntitle = 'X'\npage = 'x.html'\n" * 2, "same page ['x.html']"),
        ("[run]\nworkers = 0\n", "workers must be a positive integer"),
        ("[[notebook]\n", "not valid TOML"),
    ],
)
def test_configuration_errors_name_the_file_and_entry(tmp_paths, text, problem):
    path = tmp_paths.root / pipeline_toml.CONFIG_NAME
    path.write_text(text, "utf-8")
    with pytest.raises(InputError, match="pipeline.toml") as error:
        pipeline_toml.read_config(path)
    assert problem in str(error.value)


def test_nothing_reruns_without_a_change(project):
    config = write_config(project, CONFIG)
    assert run_once(project, config) == ["editions/2023.html", "editions/2024.html", "regions.html"]
    assert run_once(project, config) == []
    plan = jobs.plan(project, config)
    assert jobs.explain(plan) == [
        "skip  editions/2023.html: up to date",
        "skip  editions/2024.html: up to date",
        "skip  regions.html: up to date",
    ]
    assert run_once(project, config, force=True) == [
        "editions/2023.html",
        "editions/2024.html",
        "regions.html",
    ]


def test_touching_or_editing_a_notebook_reruns_only_its_parameter_sets(project):
    config = write_config(project, CONFIG)
    run_once(project, config)
    source = project.notebooks / "edition.ipynb"
    stat = source.stat()
    os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    plan = jobs.plan(project, config)
    assert plan.reasons["editions/2023.html"] == [
        "notebook edition.ipynb touched (same content, newer time)"
    ]
    assert plan.reasons["regions.html"] == []
    assert run_once(project, config) == ["editions/2023.html", "editions/2024.html"]
    write_notebook(project.notebooks / "regions.ipynb", "label: str = 'x'", "print(label, 1)")
    assert jobs.plan(project, config).reasons["regions.html"] == ["notebook regions.ipynb changed"]
    assert run_once(project, config) == ["regions.html"]


def test_parameters_code_outputs_and_read_tables_trigger_reruns(project, monkeypatch):
    config = write_config(project, CONFIG)
    run_once(project, config)
    changed = write_config(project, CONFIG.replace("{edition = 2024}]", "{edition = 2025}]"))
    plan = jobs.plan(project, changed)
    assert plan.reasons["editions/2025.html"] == ["never run (or failed last time)"]
    assert plan.retired == ["editions/2024.html"]
    run_once(project, changed)
    assert not (project.reports / "editions" / "2024.html").exists()  # retired page removed

    (project.reports / "regions.html").unlink()
    assert jobs.plan(project, changed).reasons["regions.html"] == ["output missing (regions.html)"]
    run_once(project, changed)

    tables = tiny_tables()
    tables["region"].loc[0, "name"] = "Hauts de France"
    build_warehouse(project, tables, TINY_SOURCES, TINY_BUILD_INFO)
    plan = jobs.plan(project, changed)
    assert plan.reasons["regions.html"] == ["warehouse content changed (region)"]
    assert plan.reasons["editions/2023.html"] == []  # reads laureates only
    run_once(project, changed)

    build_warehouse(
        project,
        tiny_tables() | {"region": tables["region"]},
        TINY_SOURCES,
        {**TINY_BUILD_INFO, "built_at": "later"},
    )
    assert jobs.plan(project, changed).to_run == []  # a rebuild alone changes nothing

    monkeypatch.setattr(io, "code_fingerprint", lambda: "other code")
    assert all(
        why == ["pipeline/ code changed"] for why in jobs.plan(project, changed).reasons.values()
    )


def test_a_failing_notebook_is_reported_and_the_others_still_run(project):
    write_notebook(
        project.notebooks / "regions.ipynb",
        "label: str = 'x'",
        "x = 1",
        "raise ValueError('table vide : ' + label)",
    )
    config = write_config(project, CONFIG)
    provenance = site.Provenance("abc", "2026", "now")

    def produce(job):
        executed = notebook.execute(job, project.reports / job.executed, cwd=project.notebooks)
        site.write_page(
            project.reports,
            job.page,
            job.title,
            notebook.render_body(executed),
            provenance,
            job.parameters,
        )

    plan = jobs.plan(project, config)
    outcome = jobs.execute(project, plan, config.workers, produce)
    assert sorted(job.page for job in outcome.executed) == [
        "editions/2023.html",
        "editions/2024.html",
    ]
    [(job, error)] = outcome.failed
    assert job.page == "regions.html"
    # cells executed: parameters [1], papermill's injected parameters [2], x = 1 [3], raise [4]
    assert "failed in cell [4]" in str(error) and "ValueError: table vide : régions" in str(error)
    assert (project.reports / "notebooks" / "regions.failed.ipynb").exists()
    assert "édition 2024" in (project.reports / "editions" / "2024.html").read_text("utf-8")
    again = jobs.plan(project, config)
    assert [job.page for job in again.to_run] == [
        "regions.html"
    ]  # the failure runs again next time


def test_for_each_expands_over_the_editions_and_collectivities_held(real_warehouse):
    from pipeline.build.warehouse import connect_read_only

    editions = pipeline_toml.NotebookSpec(
        "edition", "Édition {edition}", "e/{edition}.html", "É", for_each="edition"
    )
    places = pipeline_toml.NotebookSpec(
        "collectivity",
        "{name} ({departement})",
        "c/{code}.html",
        "C",
        for_each="collectivity",
        only=("38185", "246700488"),
    )
    with connect_read_only(real_warehouse) as con:
        held = con.execute(
            "SELECT count(DISTINCT edition), count(DISTINCT code) FROM laureates"
        ).fetchone()
        edition_sets = pipeline_toml.parameter_sets(editions, con)
        all_places = pipeline_toml.parameter_sets(
            pipeline_toml.NotebookSpec("collectivity", "", "", "", for_each="collectivity"), con
        )
        chosen = pipeline_toml.parameter_sets(places, con)
    assert len(edition_sets) == held[0] and len(all_places) == held[1]
    assert [p["edition"] for p, _ in edition_sets] == sorted(p["edition"] for p, _ in edition_sets)
    assert {"edition": 2021} in [p for p, _ in edition_sets]
    assert chosen == [
        ({"code": "246700488"}, {"name": "Eurométropole de Strasbourg", "departement": "67"}),
        ({"code": "38185"}, {"name": "Grenoble", "departement": "38"}),
    ]
