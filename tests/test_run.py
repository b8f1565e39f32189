"""`palmares run` end to end on the real reference, in a throw-away project root."""

from __future__ import annotations

import re
import shutil
import subprocess

import pandas as pd
import pytest
from conftest import palmares

from pipeline.config import DEFAULT_ROOT, Paths


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Paths:
    paths = Paths(tmp_path_factory.mktemp("project"))
    shutil.copytree(DEFAULT_ROOT / "data" / "raw", paths.raw)
    shutil.copytree(DEFAULT_ROOT / "notebooks", paths.notebooks)
    return paths


@pytest.fixture(scope="module")
def first_run(project) -> subprocess.CompletedProcess:
    return palmares(project, "run")


def test_run_builds_the_site_with_the_rendered_notebook_and_its_map(project, first_run):
    assert first_run.returncode == 0, first_run.stderr
    assert "built and cached GeoParquet" in first_run.stdout
    for step in ("[1/7] reference", "[2/7] palmares: 245 rows read", "[3/7] illectronism",
                 "[4/7] warehouse", "[5/7] geometry", "[7/7] site"):
        assert step in first_run.stdout
    index = (project.reports / "index.html").read_text("utf-8")
    assert 'href="overview.html"' in index
    assert 'src="maps/communes_par_departement.png"' in index
    page = (project.reports / "overview.html").read_text("utf-8")
    assert re.search(r"<h1[^>]*>Vue d'ensemble : référentiel géographique et palmarès", page)
    assert "34\u202f969" in page  # current communes, French format, from the warehouse
    assert re.search(r'<img[^>]+src="data:image/png;base64,', page)  # the map, inline
    assert "import duckdb" not in page  # no code cells
    assert not re.search(r'(src|href)="(https?:)?//', page + index)
    assert (project.reports / "maps" / "communes_par_departement.png").stat().st_size > 50_000


def test_second_run_reuses_the_geometry_cache(project, first_run):
    second = palmares(project, "run")
    assert second.returncode == 0, second.stderr
    assert "reused cached GeoParquet" in second.stdout


def test_every_shared_row_is_resolved_or_quarantined_with_a_reason(project, first_run):
    out = project.root / "exports"
    assert palmares(project, "export", "laureates", "--out", str(out / "l.csv")).returncode == 0
    assert palmares(project, "export", "quarantine", "--out", str(out / "q.csv")).returncode == 0
    laureates = pd.read_csv(out / "l.csv", dtype=str)
    quarantine = pd.read_csv(out / "q.csv", dtype=str)
    raw = pd.read_csv(project.raw / "palmares" / "laureates.csv", dtype=str)
    assert len(laureates) + len(quarantine) == len(raw) == 245
    for column in ("edition", "name", "departement", "arobases", "kind", "code",
                   "resolution_method", "source_url"):
        assert column in laureates.columns
    for column in ("edition", "name", "departement", "reason", "source_file"):
        assert column in quarantine.columns
    assert quarantine["reason"].notna().all()
    foreign = quarantine["reason"].str.startswith(("foreign", "not a collectivity"))
    assert len(laureates) / (len(raw) - foreign.sum()) >= 0.95
    # names are kept as published; La Rochelle of Haute-Saône is not the one of Charente-Maritime
    rochelle = laureates[laureates["name"] == "La Rochelle"]
    assert set(rochelle["code"]) == {"70450"}


def test_check_reports_files_coverage_and_claims(project, first_run):
    report = palmares(project, "check")
    assert report.returncode == 0, report.stderr
    assert "data/raw/palmares/laureates.csv   245" in report.stdout
    assert "Coverage per edition" in report.stdout and "Press claims" in report.stdout
