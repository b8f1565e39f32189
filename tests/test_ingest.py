"""`palmares ingest`: users' files join the raw data, idempotently, or are refused whole."""

from __future__ import annotations

import csv
import hashlib
import os
import re
import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import palmares
from openpyxl import Workbook

from pipeline.build.ingest import ingest
from pipeline.build.steps import TABLE_STEPS, Progress, build_tables
from pipeline.paths import DEFAULT_ROOT, Paths

LAUREATES = DEFAULT_ROOT / "data" / "raw" / "palmares" / "laureates.csv"
FRENCH_HEADER = ["Collectivité", "Département", "Nb @", "Année", "Catégorie", "Source"]


def real_rows(edition: str) -> list[dict]:
    """The rows of one edition in the committed palmarès (real, sourced)."""
    with LAUREATES.open(encoding="utf-8") as stream:
        return [row for row in csv.DictReader(stream) if row["edition_year"] == edition]


def french_cells(row: dict) -> list:
    level = row["arobases"]
    return [
        row["collectivity_name"],
        row["department_code"],
        "@" * int(level) if level else "",
        row["edition_year"],
        row["category"],
        row["source_url"],
    ]


def write_semicolon_cp1252(path: Path, rows: list[dict]) -> Path:
    with path.open("w", encoding="cp1252", newline="") as stream:
        writer = csv.writer(stream, delimiter=";")
        writer.writerow(FRENCH_HEADER)
        writer.writerows(french_cells(row) for row in rows)
    return path


def write_canonical(path: Path, rows: list[dict]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["edition", "name", "departement", "kind", "arobases", "source_url"])
        writer.writerows(
            [
                r["edition_year"],
                r["collectivity_name"],
                r["department_code"],
                r["category"],
                r["arobases"],
                r["source_url"],
            ]
            for r in rows
        )
    return path


def write_xlsx(path: Path, rows: list[dict]) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.append(["Palmarès Villes Internet"])
    sheet.append(FRENCH_HEADER)
    for row in rows:
        sheet.append(french_cells(row))
    book.save(path)
    return path


def new_project(root: Path) -> Paths:
    paths = Paths(root)
    shutil.copytree(
        DEFAULT_ROOT / "data" / "raw", paths.raw, ignore=shutil.ignore_patterns("imports")
    )
    return paths


def rebuild(paths: Paths):
    return lambda: build_tables(paths, Progress(total=TABLE_STEPS, report=lambda line: None))


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def imported(paths: Paths, name: str) -> list[tuple]:
    """Laureate and quarantine rows of one imported file, without the file's own bookkeeping."""
    source = f"data/raw/palmares/imports/{name}"
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        return con.execute(
            "SELECT edition, name, code, arobases, resolution_method FROM laureates "
            "WHERE source_file = ? UNION ALL "
            "SELECT edition, name, reason, arobases, 'quarantine' FROM quarantine "
            "WHERE source_file = ? ORDER BY ALL",
            [source, source],
        ).fetchall()


def test_three_formats_of_the_same_rows_give_the_same_warehouse(tmp_path):
    rows = real_rows("2024")
    contents = []
    for writer, name in [
        (write_canonical, "p.csv"),
        (write_semicolon_cp1252, "p.csv"),
        (write_xlsx, "p.xlsx"),
    ]:
        paths = new_project(tmp_path / f"{writer.__name__}")
        file = writer(tmp_path / f"{writer.__name__}-{name}", rows)
        final = file.with_name(name)
        file.rename(final)
        assert ingest(paths, [final], rebuild(paths)) == {name: "added"}
        contents.append(imported(paths, name))
    assert len(contents[0]) == len(rows)
    assert contents[0] == contents[1] == contents[2]


def test_ingest_is_idempotent_and_a_corrected_file_replaces_the_old(tmp_path):
    paths = new_project(tmp_path / "project")
    rows = real_rows("2019")
    export = write_semicolon_cp1252(tmp_path / "palmares-2019.csv", rows)

    first = palmares(paths, "ingest", str(export))
    assert first.returncode == 0, first.stderr
    assert "palmares-2019.csv: added" in first.stdout
    assert len(imported(paths, "palmares-2019.csv")) == len(rows)
    before = digest(paths.warehouse)

    again = palmares(paths, "ingest", str(export))
    assert "palmares-2019.csv: unchanged" in again.stdout
    assert digest(paths.warehouse) == before

    write_semicolon_cp1252(export, rows[:-1])
    corrected = palmares(paths, "ingest", str(export))
    assert "palmares-2019.csv: replaced" in corrected.stdout
    assert len(imported(paths, "palmares-2019.csv")) == len(rows) - 1


@pytest.fixture(scope="module")
def project_with_an_import(tmp_path_factory) -> Paths:
    """A project where a good file was ingested, so there is a warehouse and an import to keep."""
    root = tmp_path_factory.mktemp("ingested")
    paths = new_project(root / "project")
    good = write_semicolon_cp1252(root / "good.csv", real_rows("2019"))
    assert palmares(paths, "ingest", str(good)).returncode == 0
    return paths


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("Collectivité;Nb @;Année\nLe Havre;6 @;2005\n", r"bad\.csv, row 2: .*6 @"),
        ("Collectivité;Nb @;Année\nLe Havre;5;2099\n", r"bad\.csv, row 2: .*2099"),
        (
            "Collectivité;Année\nLe Havre;2005\n",
            r"bad\.csv, row 1: missing required column.*arobases",
        ),
        ("", r"bad\.csv: .*empty"),
    ],
)
def test_a_bad_file_changes_nothing(project_with_an_import, tmp_path, content, expected):
    paths = project_with_an_import
    before = {
        path: digest(path) for path in [paths.warehouse, *paths.raw.rglob("*")] if path.is_file()
    }
    bad = tmp_path / "bad.csv"
    bad.write_text(content, encoding="utf-8")
    result = palmares(paths, "ingest", str(bad))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert re.search(expected, result.stderr), result.stderr
    after = {
        path: digest(path) for path in [paths.warehouse, *paths.raw.rglob("*")] if path.is_file()
    }
    assert after == before


def test_a_binary_file_is_refused(tmp_path):
    paths = new_project(tmp_path / "project")
    blob = tmp_path / "export.xlsx"
    blob.write_bytes(os.urandom(2048))
    result = palmares(paths, "ingest", str(blob))
    assert result.returncode == 1 and "export.xlsx" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (paths.raw / "palmares" / "imports").exists()
