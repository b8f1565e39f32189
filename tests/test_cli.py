"""The `palmares` command as a user meets it: help, errors as one clear line, exports."""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import pytest
from conftest import TINY_BUILD_INFO, TINY_SOURCES, palmares, tiny_tables

from pipeline.build.warehouse import build_warehouse
from pipeline.cli import main
from pipeline.paths import DEFAULT_ROOT, Paths


@pytest.fixture
def project(tmp_path) -> Paths:
    """A copy of the committed reference in a throw-away root, with a previous warehouse."""
    paths = Paths(tmp_path)
    shutil.copytree(DEFAULT_ROOT / "data" / "raw" / "reference", paths.reference)
    build_warehouse(paths, tiny_tables(), TINY_SOURCES, TINY_BUILD_INFO)
    return paths


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_help_lists_the_subcommands(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    # one line per subcommand, its name first: a word found elsewhere in the help would not do
    listed = re.findall(r"^ {4}(\w+)", out, flags=re.MULTILINE)
    assert listed == [
        *("run", "build", "ingest", "check", "export", "map", "stats"),
        *("publish", "template", "reference"),
    ]


@pytest.mark.parametrize("damage", ["delete", "corrupt"])
def test_a_bad_reference_file_stops_the_build_and_keeps_the_warehouse(project, damage):
    before = digest(project.warehouse)
    target = project.reference / "commune.csv"
    if damage == "delete":
        target.unlink()
    else:
        target.write_bytes(target.read_bytes()[:-500] + b"\x00garbage")
    result = palmares(project, "build")
    assert result.returncode == 1
    assert "commune.csv" in result.stderr
    assert "Traceback" not in result.stderr
    assert digest(project.warehouse) == before


def test_export_unknown_table_is_a_clear_error(project):
    result = palmares(project, "export", "nope")
    assert result.returncode == 2
    assert "unknown table 'nope'" in result.stderr
    assert "Traceback" not in result.stderr


def test_export_list_and_table(project):
    listed = palmares(project, "export", "--list")
    assert listed.returncode == 0 and "commune_code_map" in listed.stdout
    out = project.root / "communes.csv"
    done = palmares(project, "export", "commune", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert out.read_text("utf-8").splitlines()[0].startswith("commune_code,commune_kind,name")
