"""`palmares run` end to end on the real reference, in a throw-away project root."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest

from pipeline.config import DEFAULT_ROOT, Paths


def palmares_run(paths: Paths) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "run"],
        capture_output=True, text=True, env={**os.environ, "PALMARES_ROOT": str(paths.root)},
    )


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Paths:
    paths = Paths(tmp_path_factory.mktemp("project"))
    shutil.copytree(DEFAULT_ROOT / "data" / "raw", paths.raw)
    shutil.copytree(DEFAULT_ROOT / "notebooks", paths.notebooks)
    return paths


@pytest.fixture(scope="module")
def first_run(project) -> subprocess.CompletedProcess:
    return palmares_run(project)


def test_run_builds_the_site_with_the_rendered_notebook_and_its_map(project, first_run):
    assert first_run.returncode == 0, first_run.stderr
    assert "built and cached GeoParquet" in first_run.stdout
    for step in ("[1/6] reference", "[2/6] palmares: 245 rows read", "[3/6] warehouse",
                 "[4/6] geometry", "[6/6] site"):
        assert step in first_run.stdout
    index = (project.reports / "index.html").read_text("utf-8")
    assert 'href="overview.html"' in index
    assert 'src="maps/communes_par_departement.png"' in index
    page = (project.reports / "overview.html").read_text("utf-8")
    assert re.search(r"<h1[^>]*>Vue d'ensemble du référentiel géographique", page)
    assert "34\u202f969" in page  # current communes, French format, from the warehouse
    assert re.search(r'<img[^>]+src="data:image/png;base64,', page)  # the map, inline
    assert "import duckdb" not in page  # no code cells
    assert not re.search(r'(src|href)="(https?:)?//', page + index)
    assert (project.reports / "maps" / "communes_par_departement.png").stat().st_size > 50_000


def test_second_run_reuses_the_geometry_cache(project, first_run):
    second = palmares_run(project)
    assert second.returncode == 0, second.stderr
    assert "reused cached GeoParquet" in second.stdout
