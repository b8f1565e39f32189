"""Shared fixtures: a throw-away project root, a tiny hand-made reference, the real one, what
the real data must give, and the `slow` tier."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from pipeline.build.schema import schema_columns
from pipeline.build.sources.reference import read_reference
from pipeline.build.steps import TABLE_STEPS, Progress, build_tables
from pipeline.paths import DEFAULT_ROOT, Paths
from pipeline.run.pipeline_toml import CONFIG_NAME

#: What the committed data/raw must give that no raw file states itself (read once, here).
EXPECTED_COUNTS = tomllib.loads((Path(__file__).parent / "expected_counts.toml").read_text("utf-8"))

#: Files whose every test runs the pipeline end to end (build with geometry, notebooks, browser,
#: kills), runs notebooks in kernels or builds a full-size warehouse.
SLOW_FILES = {
    "test_run.py",
    "test_runner.py",
    "test_synthetic.py",
    "test_crash.py",
    "test_geometry.py",
    "test_ingest.py",
    "test_hostile_site.py",
    "test_warm_kernels.py",
}
#: Fixtures that build the whole warehouse from data/raw.
SLOW_FIXTURES = {"real_warehouse", "built_geometry", "real_site"}
#: Single tests of other files that do the same: "file::test".
SLOW_TESTS = {
    "test_insee.py::test_cli_routes_a_figure_download_and_names_a_missing_option",  # rebuilds
    "test_notebook_jobs.py::test_a_failing_notebook_is_reported_and_the_others_still_run",
}


def pytest_collection_modifyitems(items):
    """Mark `slow` the tests above, so that `pytest -m "not slow"` is the quick tier; a name of
    SLOW_TESTS that its file no longer defines is an error, not a silent miss."""
    modules = {item.path.name: item.module for item in items}
    stale = [
        f"{file}::{test}"
        for file, _, test in (name.partition("::") for name in SLOW_TESTS)
        if file in modules and not hasattr(modules[file], test)
    ]
    if stale:
        raise pytest.UsageError(f"conftest.SLOW_TESTS names tests that do not exist: {stale}")
    for item in items:
        if (
            item.path.name in SLOW_FILES
            or SLOW_FIXTURES & set(item.fixturenames)
            or f"{item.path.name}::{item.originalname}" in SLOW_TESTS
        ):
            item.add_marker(pytest.mark.slow)


def raw_records(relative: str) -> list:
    """The rows (dicts) of a CSV, or the entries of a JSON list, under the committed data/raw:
    what a raw file states is counted from it, never written down twice."""
    path = DEFAULT_ROOT / "data" / "raw" / relative
    if path.suffix == ".json":
        return json.loads(path.read_text("utf-8"))
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


#: Tables the tiny reference leaves empty.
OTHER_TABLES = (
    "edition_aggregate",
    "edition",
    "edition_conflict",
    "complete_declaration",
    "laureates",
    "quarantine",
    "claim",
    "claim_fact",
    "undated_observation",
    "illectronism",
)


class NetworkBlocked(OSError):
    """A test tried to open a network connection: the project must work offline."""


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Fail any Internet connection attempted in the test process; Unix sockets (Jupyter
    kernels, browser pipes) stay allowed."""
    connect, connect_ex = socket.socket.connect, socket.socket.connect_ex

    def guarded(method):
        def call(self, address, *args):
            if self.family in (socket.AF_INET, socket.AF_INET6):
                raise NetworkBlocked(f"network connection attempted to {address!r}")
            return method(self, address, *args)

        return call

    monkeypatch.setattr(socket.socket, "connect", guarded(connect))
    monkeypatch.setattr(socket.socket, "connect_ex", guarded(connect_ex))


def palmares(paths: Paths, *args: str) -> subprocess.CompletedProcess:
    """Run the `palmares` command against another project root, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "pipeline.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PALMARES_ROOT": str(paths.root)},
    )


def project_copy(
    root: Path,
    editions: list[int],
    collectivities: list[str],
    without: tuple[str, ...] = (),
    geometry: Path | None = None,
) -> Paths:
    """A throw-away copy of the project (data/raw, notebooks) whose pipeline.toml is the
    project's, cut with `only` to a few editions and collectivities and `without` some notebooks,
    so that end-to-end tests stay quick; with `geometry` (the `built_geometry` fixture), its
    geometry cache is a copy of that one instead of being built again."""
    paths = Paths(root)
    shutil.copytree(DEFAULT_ROOT / "data" / "raw", paths.raw)
    shutil.copytree(DEFAULT_ROOT / "notebooks", paths.notebooks)
    if geometry is not None:
        shutil.copytree(geometry, paths.geometry_cache)
    entries = (DEFAULT_ROOT / CONFIG_NAME).read_text("utf-8").split("[[notebook]]")
    kept = [
        entry for entry in entries[1:] if not any(f'name = "{name}"\n' in entry for name in without)
    ]
    config = "[[notebook]]".join([entries[0], *kept])
    for name, values in (("edition", editions), ("collectivity", collectivities)):
        config = re.sub(
            f'^for_each = "{name}"$',
            f"\\g<0>\nonly = {json.dumps(values)}",
            config,
            flags=re.MULTILINE,
        )
    (paths.root / CONFIG_NAME).write_text(config, "utf-8")
    return paths


@pytest.fixture(scope="session")
def real_warehouse(tmp_path_factory) -> Paths:
    """The warehouse built from the committed data/raw (tables only, no geometry), once per
    test session in a root of its own: tests on real data never depend on a local build."""
    paths = Paths(tmp_path_factory.mktemp("real"))
    (paths.root / "data").mkdir()
    (paths.root / "data" / "raw").symlink_to(DEFAULT_ROOT / "data" / "raw")
    build_tables(paths, Progress(TABLE_STEPS, report=lambda line: None))
    return paths


#: The small real-data site the end-to-end tests share: two editions (with their TEN,
#: transition and coverage tables) and two collectivities, so that every notebook runs.
SITE_EDITIONS = [2021, 2024]
SITE_COLLECTIVITIES = ["38185", "59350"]  # Grenoble, Lille


@dataclass(frozen=True)
class RealSite:
    paths: Paths
    first_run: subprocess.CompletedProcess


@pytest.fixture(scope="session")
def real_site(tmp_path_factory) -> RealSite:
    """`palmares run` from scratch (geometry built, every notebook executed) on the committed
    data/raw cut to SITE_EDITIONS and SITE_COLLECTIVITIES, once per test session (per worker
    under `make test`): a full run costs over a minute, so the tests of the run, of the French
    pages and of warm kernels read the same one. A test that changes it must leave it as a run
    leaves it (run again after)."""
    paths = project_copy(tmp_path_factory.mktemp("site"), SITE_EDITIONS, SITE_COLLECTIVITIES)
    return RealSite(paths, palmares(paths, "run"))


@pytest.fixture(scope="session")
def built_geometry(tmp_path_factory, reference) -> Path:
    """The geometry cache of the committed data/raw, built once per test session (about 18 s):
    the end-to-end tests' project copies start from a copy of it."""
    from pipeline.build.sources import geometry

    paths = Paths(tmp_path_factory.mktemp("geometry"))
    (paths.root / "data").mkdir()
    (paths.root / "data" / "raw").symlink_to(DEFAULT_ROOT / "data" / "raw")
    geometry.load_geometry(paths, reference)
    return paths.geometry_cache


@pytest.fixture(scope="session")
def reference() -> dict[str, pd.DataFrame]:
    """The committed reference geography (data/raw/reference), read once per test session:
    shared by every module, so no test may modify it."""
    return read_reference(Paths(DEFAULT_ROOT).reference)


@pytest.fixture
def tmp_paths(tmp_path) -> Paths:
    """A project root of its own, so a test never touches data/processed or reports/."""
    return Paths(tmp_path)


def tiny_tables() -> dict[str, pd.DataFrame]:
    """Two régions, two départements, three communes and an EPCI, with real codes and names."""
    region = pd.DataFrame(
        {
            "region_code": ["32", "01"],
            "name": ["Hauts-de-France", "Guadeloupe"],
            "article_code": [0, 3],
            "chef_lieu_code": ["59350", "97105"],
            "zone": ["metro", "drom"],
        }
    )
    departement = pd.DataFrame(
        {
            "departement_code": ["59", "971"],
            "name": ["Nord", "Guadeloupe"],
            "article_code": [2, 3],
            "region_code": ["32", "01"],
            "chef_lieu_code": ["59350", "97105"],
            "zone": ["metro", "drom"],
        }
    )
    commune = pd.DataFrame(
        {
            "commune_code": ["59368", "59350", "97105"],
            "commune_kind": ["commune", "commune", "commune"],
            "name": ["La Madeleine", "Lille", "Basse-Terre"],
            "article_code": [3, 1, 0],
            "departement_code": ["59", "59", "971"],
            "region_code": ["32", "32", "01"],
            "zone": ["metro", "metro", "drom"],
            "siren": ["215903683", None, None],
            "population": pd.array([21790, None, None], dtype="Int64"),
            "chef_lieu_code": [None, None, None],
        }
    )
    code_map = pd.DataFrame(
        {
            "old_code": ["59368", "59350"],
            "commune_code": ["59368", "59350"],
            "method": ["current", "current"],
        }
    )
    history = pd.DataFrame(
        {
            "version_id": ["COM-59368@1943-01-01"],
            "commune_code": ["59368"],
            "version_kind": ["COM"],
            "name": ["La Madeleine"],
            "article_code": [3],
            "start_date": pd.to_datetime([None]),
            "end_date": pd.to_datetime([None]),
            "start_reason": [None],
            "end_reason": [None],
            "predecessor_id": [None],
            "successor_id": [None],
            "pole_id": [None],
            "member_ids": [None],
        }
    )
    epci = pd.DataFrame(
        {
            "epci_siren": ["200093201"],
            "name": ["Métropole Européenne de Lille"],
            "epci_kind": ["ME"],
            "legal_type": ["METRO"],
            "financing": ["FPU"],
            "population": [1_190_000],
        }
    )
    members = pd.DataFrame({"epci_siren": ["200093201"] * 2, "commune_code": ["59368", "59350"]})
    empty = {
        table: pd.DataFrame(columns=[c.name for c in schema_columns()[table]])
        for table in OTHER_TABLES
    }
    return {
        **empty,
        "region": region,
        "departement": departement,
        "commune": commune,
        "commune_code_map": code_map,
        "commune_history": history,
        "epci": epci,
        "epci_member": members,
    }


TINY_SOURCES = [
    {
        "path": "data/raw/reference/commune.csv",
        "sha256": "0" * 64,
        "size_bytes": 10,
        "row_count": 3,
        "producer": "test",
        "title": "tiny reference",
        "licence": "Licence Ouverte 2.0",
        "url": "https://www.npmjs.com/package/@etalab/decoupage-administratif",
        "retrieved_date": "2026-11-23",
        "derived_from": "hand-made test rows",
    }
]
TINY_BUILD_INFO = {
    "git_commit": "test",
    "cog_year": "2026",
    "built_at": "2026-11-23 00:00 UTC",
    "python_version": "CPython 3.11.0",
    "lock_sha256": "0" * 64,
    "lock_matches": "oui",
    "packages": "duckdb==1.0.0 pandas==2.2.0",
}
