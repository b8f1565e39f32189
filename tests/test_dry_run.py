"""`palmares ingest --dry-run`: the outcome of a real ingest, reported, with nothing written.

The fixtures (tests/fixtures/dry_run, see its README) are shaped like the association's exports:
real rows copied from data/raw/palmares/laureates.csv, and rows marked «LIGNE DE TEST
INVENTÉE» where a test needs a name that does not exist or a level that contradicts one held.
"""

from __future__ import annotations

import csv
import hashlib
import re
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import palmares
from openpyxl import load_workbook

from pipeline.analysis import checks
from pipeline.analysis.collectivity import reason_text
from pipeline.build import dry_run
from pipeline.build.dry_run_report import METHODS, plain
from pipeline.build.lock import build_lock
from pipeline.build.steps import TABLE_STEPS, Progress, build_tables
from pipeline.formatting import format_fr
from pipeline.paths import DEFAULT_ROOT, Paths

FIXTURES = Path(__file__).parent / "fixtures" / "dry_run"
CSV = FIXTURES / "TEST-export-association-2019.csv"
XLSX = FIXTURES / "TEST-export-association-2024.xlsx"
HELD = "data/raw/palmares/laureates.csv"


def new_project(root: Path) -> Paths:
    """A copy of the project's data/raw, with no import and no warehouse."""
    paths = Paths(root)
    shutil.copytree(
        DEFAULT_ROOT / "data" / "raw", paths.raw, ignore=shutil.ignore_patterns("imports")
    )
    return paths


def digests(paths: Paths) -> dict[str, str]:
    """Every file under data/raw and data/processed, hidden ones included, by content."""
    return {
        path.relative_to(paths.root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for folder in (paths.raw, paths.processed)
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def csv_rows() -> list[list[str]]:
    """The CSV fixture's data rows, read with the csv module (not with the pipeline)."""
    with CSV.open(encoding="cp1252", newline="") as stream:
        return [row for row in list(csv.reader(stream, delimiter=";"))[1:] if any(row)]


def xlsx_rows() -> list[tuple]:
    """The XLSX fixture's data rows (under its title, blank row and header), with openpyxl."""
    rows = list(load_workbook(XLSX).active.iter_rows(values_only=True))
    return [row for row in rows[3:] if any(cell is not None for cell in row)]


@pytest.fixture(scope="module")
def held(tmp_path_factory) -> Paths:
    """A project whose warehouse was built under the build lock, as `palmares build` does."""
    paths = new_project(tmp_path_factory.mktemp("held") / "project")
    with build_lock(paths):
        build_tables(paths, Progress(TABLE_STEPS, report=lambda line: None))
    return paths


@pytest.fixture(scope="module")
def cli_run(held):
    before = digests(held)
    result = palmares(held, "ingest", "--dry-run", str(CSV), str(XLSX))
    return result, before, digests(held)


@pytest.fixture(scope="module")
def outcome(held) -> dry_run.DryRun:
    return dry_run.dry_run(held, [CSV, XLSX])


@pytest.fixture(scope="module")
def ingested(tmp_path_factory) -> Paths:
    """A project where the two fixtures were really ingested (`palmares ingest`)."""
    paths = new_project(tmp_path_factory.mktemp("ingested") / "project")
    result = palmares(paths, "ingest", str(CSV), str(XLSX))
    assert result.returncode == 0, result.stderr
    return paths


def query(paths: Paths, sql: str, *parameters) -> pd.DataFrame:
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        return con.execute(sql, list(parameters)).df()


@pytest.mark.slow
def test_a_dry_run_writes_nothing(cli_run, held):
    result, before, after = cli_run
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert after == before
    assert "data/processed/warehouse.duckdb" in before  # the warehouse was there, and is intact
    assert f"« avant » est l'entrepôt actuel ({held.warehouse})" in result.stdout  # not rebuilt
    assert not (held.raw / "palmares" / "imports").exists()


@pytest.mark.slow
def test_the_report_counts_the_rows_read_in_each_file(cli_run):
    report = cli_run[0].stdout
    for file, rows in ((CSV, csv_rows()), (XLSX, xlsx_rows())):
        assert f"« {file.name} » : {format_fr(len(rows))} lignes lues" in report


@pytest.mark.slow
def test_rows_copied_from_the_palmares_resolve_as_the_rows_held(outcome, cli_run, held):
    """Each real row of the fixtures resolves to the collectivity its held row resolved to;
    the report gives the count of each method the rows were resolved by."""
    mine = outcome.after.laureates
    held_rows = query(
        held, "SELECT edition, code, source_url FROM laureates WHERE source_file = ?", HELD
    )
    copied = mine.merge(held_rows, on=["edition", "code", "source_url"])
    assert len(copied) >= 10
    for method, count in mine["resolution_method"].value_counts().items():
        assert f"- {METHODS[method]} : {format_fr(count)}" in cli_run[0].stdout
    aiglemont = mine[mine["name"] == "Aiglemont"].iloc[0]  # the XLSX gives its INSEE code
    assert (aiglemont["resolution_method"], aiglemont["code"]) == ("code", "08003")


@pytest.mark.slow
def test_rows_set_aside_are_listed_with_reason_and_candidates(outcome, cli_run, held):
    report = cli_run[0].stdout
    aside = outcome.after.quarantine
    made_up = aside[aside["name"] == "Commune-Fictive-de-Test"].iloc[0]
    assert made_up["reason"].startswith("unknown")
    assert f"« {CSV.name} », ligne {made_up['source_row']} : « Commune-Fictive-de-Test »" in report
    # the real ambiguous row gets the candidates its held twin got
    (twin,) = query(
        held,
        "SELECT source_row, candidates FROM quarantine WHERE source_file = ? "
        "AND name = 'Mérignac' AND edition = 2008",
        HELD,
    ).itertuples()
    assert len(twin.candidates) > 1
    block = report.split(" : « Mérignac » (2008, 5 @)\n", 1)[1].split("\n- ")[0]
    assert f"candidats : {' ; '.join(twin.candidates)}" in block
    # sent again, it would count twice: the report says where the row already set aside is
    assert f"déjà mise de côté sous ce nom et cette édition : {HELD}, ligne {twin.source_row}" in (
        block
    )
    for row in aside.itertuples():
        assert f"raison : {reason_text(row.reason)}" in report
        assert f"détail : {plain(row.reason)}" in report
    epci = aside[aside["name"].str.contains("Imaginaire")].iloc[0]
    assert len(epci["candidates"]) and all(c in report for c in epci["candidates"])


@pytest.mark.slow
def test_contradictions_show_both_sources(cli_run, held):
    """The invented Maurepas 2019 row (2 @) against the held one, with both sources."""
    report = cli_run[0].stdout
    (row,) = query(
        held,
        "SELECT source_row, arobases, source_url FROM laureates WHERE source_file = ? "
        "AND name = 'Maurepas' AND edition = 2019",
        HELD,
    ).itertuples()
    (number,) = [i for i, cells in enumerate(csv_rows(), start=2) if cells[1] == "Maurepas"]
    block = report.split("- 2019, Maurepas (code 78383) :\n", 1)[1]
    assert block.startswith(f"    2 @ — « {CSV.name} », ligne {number} (ce fichier)")
    assert f"    {row.arobases} @ — {HELD}, ligne {row.source_row} (détenue) — source : " in block
    assert row.source_url in block.split("\n- ")[0]


@pytest.mark.slow
def test_the_dry_run_gives_the_outcome_of_a_real_ingest(outcome, ingested, cli_run):
    """Rows resolved, rows set aside, conflicts and coverage: the same as `palmares ingest`."""
    assert outcome.outcome == {CSV.name: "added", XLSX.name: "added"}
    imports = "data/raw/palmares/imports/%"
    for table, frame in (
        ("laureates", outcome.after.laureates),
        ("quarantine", outcome.after.quarantine),
    ):
        real = query(
            ingested,
            f"SELECT {', '.join(frame.columns)} FROM {table} WHERE source_file LIKE ? "
            "ORDER BY source_file, source_row",
            imports,
        )
        assert len(real) > 0
        pd.testing.assert_frame_equal(frame, real)
    readers = {
        "accounting": checks.file_accounting,
        "level_conflicts": checks.level_conflicts,
        "duplicates": checks.duplicates,
        "coverage": checks.coverage,
        "claims": checks.claim_checks,
    }
    with duckdb.connect(str(ingested.warehouse), read_only=True) as con:
        for name, read in readers.items():
            pd.testing.assert_frame_equal(getattr(outcome.after, name), read(con), obj=name)
        real_coverage = checks.coverage(con).set_index("edition")
    # and the report prints that coverage, after the held one
    before = outcome.before.coverage.set_index("edition")
    report = cli_run[0].stdout
    for edition in set(outcome.after.laureates["edition"]) | set(
        outcome.after.quarantine["edition"]
    ):
        was, now = (int(frame.loc[edition, "held"]) for frame in (before, real_coverage))
        assert f"- {edition} : {was} → {now} lignes détenues" in report


@pytest.mark.slow
def test_a_file_already_ingested_and_a_corrected_version(ingested, tmp_path):
    before = digests(ingested)
    same = palmares(ingested, "ingest", "--dry-run", str(CSV))
    assert same.returncode == 0, same.stderr
    assert "identique au fichier déjà importé : rien ne changerait" in same.stdout

    lines = CSV.read_text("cp1252").splitlines(keepends=True)
    albi = next(line for line in lines if line.startswith("2019;Albi;"))
    # a right-to-left override would turn the rest of the terminal line around
    hostile = "2019;Nom\u202eretruoc;;;1;;LIGNE DE TEST INVENTÉE : caractère invisible\r\n"
    corrected = tmp_path / CSV.name
    corrected.write_text("".join(line for line in lines if line != albi) + hostile, "utf-8")
    result = palmares(ingested, "ingest", "--dry-run", str(corrected))
    assert result.returncode == 0, result.stderr
    report = result.stdout
    assert f"« {CSV.name} » remplacerait la version importée" in report
    assert re.search(r"  retirée : « Albi », dép\. 81 \(2019, 3 @\)", report)
    assert "  ajoutée : « Nom\\u202eretruoc » (2019, 1 @)" in report
    assert "\u202e" not in report
    assert digests(ingested) == before


@pytest.mark.slow
def test_a_missing_warehouse_is_built_in_the_scratch_copy_only(tmp_path):
    paths = new_project(tmp_path / "project")
    before = digests(paths)
    result = palmares(paths, "ingest", "--dry-run", str(XLSX))
    assert result.returncode == 0, result.stderr
    assert "l'entrepôt manquait ou était en retard sur data/raw" in result.stdout
    assert not paths.processed.exists()
    assert digests(paths) == before


@pytest.mark.slow
def test_a_dry_run_waits_for_no_build_and_says_so(held):
    """While another process holds the build lock, data/raw may be half-changed: refused."""
    with build_lock(held):
        result = palmares(held, "ingest", "--dry-run", str(CSV))
    assert result.returncode == 1
    assert "another palmares process is building" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "content",
    [
        "Collectivité;Nb @;Année\nLe Havre;6 @;2005\n",
        "Collectivité;Année\nLe Havre;2005\n",
        "Collectivité;Nb @;Année\n;5;2005\n",
    ],
)
def test_a_bad_file_gets_the_error_of_a_real_ingest(tmp_path, content):
    paths = new_project(tmp_path / "project")
    bad = tmp_path / "bad.csv"
    bad.write_text(content, encoding="utf-8")
    before = digests(paths)
    dry = palmares(paths, "ingest", "--dry-run", str(bad))
    assert digests(paths) == before
    real = palmares(paths, "ingest", str(bad))
    assert dry.returncode == real.returncode == 1
    assert dry.stderr == real.stderr and f"{bad}, row" in dry.stderr
    assert "Traceback" not in dry.stderr


def test_an_insee_figure_download_is_refused(tmp_path):
    paths = new_project(tmp_path / "project")
    figure = tmp_path / "regions.csv"
    figure.write_text("Code région;Région;Taux (en %)\n27;Bourgogne-Franche-Comté;19\n", "utf-8")
    result = palmares(paths, "ingest", "--dry-run", str(figure))
    assert result.returncode == 2
    assert f"{figure}: looks like an INSEE figure download" in result.stderr
    assert "palmarès exports only" in result.stderr
    assert not paths.processed.exists()


def test_text_from_a_file_is_made_safe_for_a_terminal():
    assert plain("Saint-Malo\x1b[31m\u202e") == "Saint-Malo\\u001b[31m\\u202e"
    assert plain("L'Haÿ-les-Roses\u00a0") == "L'Haÿ-les-Roses\u00a0"
    assert plain(None) == "" and plain(float("nan")) == ""
