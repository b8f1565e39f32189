"""Crash safety: `palmares ingest` and `palmares run` killed with SIGKILL at random moments
always leave the previous warehouse and reports readable, and the next run recovers without
any manual cleaning. Two runs at once: the second exits with a clear message."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time

import duckdb
import pandas as pd
import pytest
from conftest import palmares, project_copy

from pipeline.build.lock import build_lock
from pipeline.paths import Paths


@pytest.fixture(scope="module")
def project(tmp_path_factory, built_geometry) -> Paths:
    """The real data, three notebooks (overview, one edition, one collectivity), built once."""
    paths = project_copy(
        tmp_path_factory.mktemp("crash"),
        [2024],
        ["38185"],
        without=("continuity", "geography", "illectronism"),
        geometry=built_geometry,
    )
    first = palmares(paths, "run")
    assert first.returncode == 0, first.stderr
    return paths


def start(paths: Paths, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PALMARES_ROOT": str(paths.root)},
    )


def kill_after(process: subprocess.Popen, seconds: float) -> bool:
    """SIGKILL the process after `seconds` unless it finished; True if it was killed."""
    try:
        process.wait(timeout=seconds)
        return False
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
        process.wait()
        return True


def laureate_rows(paths: Paths) -> int:
    """Palmarès rows in the warehouse: resolved plus set aside (every row read is one or the
    other)."""
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        return con.execute(
            "SELECT (SELECT count(*) FROM laureates) + (SELECT count(*) FROM quarantine)"
        ).fetchone()[0]


def assert_site_readable(paths: Paths) -> None:
    pages = list(paths.reports.rglob("*.html"))
    assert paths.reports / "index.html" in pages
    for page in pages:
        assert page.read_text("utf-8").rstrip().endswith("</html>"), page
    json.loads((paths.reports / ".run-state.json").read_text("utf-8"))


def test_killing_ingest_at_random_moments_never_breaks_the_warehouse(project, tmp_path):
    rows = pd.read_csv(project.raw / "palmares" / "laureates.csv", dtype=str).head(5)
    user_file = tmp_path / "export_jury.csv"
    rows.to_csv(user_file, index=False)
    before = laureate_rows(project)
    rng = random.Random(2026)
    kills = 0
    for _ in range(8):
        if kill_after(start(project, "ingest", str(user_file)), rng.uniform(0.3, 6.0)):
            kills += 1
            assert laureate_rows(project) in (before, before + 5)  # the old or the new, whole
        else:
            break  # it completed: the remaining kills would find nothing to interrupt
    assert kills >= 1
    done = palmares(project, "ingest", str(user_file))
    assert done.returncode == 0, done.stderr
    assert laureate_rows(project) == before + 5
    again = palmares(project, "ingest", str(user_file))
    assert "Nothing changed" in again.stdout


def test_killing_run_at_random_moments_keeps_the_site_readable(project):
    rng = random.Random(1999)
    for _ in range(4):
        kill_after(start(project, "run", "--force"), rng.uniform(1.0, 25.0))
        assert_site_readable(project)
        laureate_rows(project)  # opens: never a half-written warehouse
    recovered = palmares(project, "run")
    assert recovered.returncode == 0, recovered.stderr
    assert_site_readable(project)
    settled = palmares(project, "run", "--explain")
    assert "0 executed" in settled.stdout, settled.stdout


def test_a_second_run_while_one_holds_the_lock_exits_with_a_clear_message(project):
    warehouse_before = project.warehouse.read_bytes()
    with build_lock(project):
        started = time.perf_counter()
        second = palmares(project, "run")
    assert second.returncode == 1
    assert "another palmares process is building" in second.stderr
    assert "Traceback" not in second.stderr
    assert time.perf_counter() - started < 30  # it does not hang
    assert project.warehouse.read_bytes() == warehouse_before
