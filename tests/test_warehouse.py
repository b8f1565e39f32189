"""The warehouse is written whole or not at all, under a lock, and read-only for consumers."""

from __future__ import annotations

import subprocess
import sys

import duckdb
import pandas as pd
import pytest
from conftest import TINY_BUILD_INFO, TINY_SOURCES, tiny_tables

from pipeline.build.lock import build_lock
from pipeline.build.warehouse import (
    TABLES,
    build_warehouse,
    connect_read_only,
    export_table,
    list_tables,
)
from pipeline.errors import WarehouseBuildError, WarehouseBusyError


def build(paths, tables=None):
    return build_warehouse(paths, tables or tiny_tables(), TINY_SOURCES, TINY_BUILD_INFO)


def count_communes(paths) -> int:
    with connect_read_only(paths) as con:
        return con.execute("SELECT count(*) FROM commune").fetchone()[0]


def test_build_writes_every_table_and_provenance(tmp_paths):
    counts = build(tmp_paths)
    assert set(counts) == set(TABLES)
    assert counts["commune"] == 3 and counts["source"] == 1
    with connect_read_only(tmp_paths) as con:
        info = dict(con.execute("SELECT key, value FROM build_info").fetchall())
        name = con.execute("SELECT name FROM commune WHERE commune_code = '59368'").fetchone()[0]
    assert info["cog_year"] == "2026"
    assert name == "La Madeleine"
    assert list(tmp_paths.processed.glob("*.tmp*")) == []


def test_a_violated_constraint_keeps_the_previous_warehouse(tmp_paths):
    build(tmp_paths)
    broken = tiny_tables()
    broken["commune"] = pd.concat([broken["commune"], broken["commune"].iloc[[0]]])
    with pytest.raises(WarehouseBuildError, match="table commune"):
        build(tmp_paths, broken)
    assert count_communes(tmp_paths) == 3
    assert list(tmp_paths.processed.glob("*.tmp*")) == []


def test_missing_table_or_wrong_columns_are_refused(tmp_paths):
    tables = tiny_tables()
    del tables["epci_member"]
    with pytest.raises(WarehouseBuildError, match="epci_member"):
        build(tmp_paths, tables)
    tables = tiny_tables()
    tables["region"] = tables["region"].rename(columns={"name": "nom"})
    with pytest.raises(WarehouseBuildError, match="table region: columns"):
        build(tmp_paths, tables)
    assert not tmp_paths.warehouse.exists()


def test_a_reader_holding_the_old_file_does_not_block_a_rebuild(tmp_paths):
    build(tmp_paths)
    reader = connect_read_only(tmp_paths)
    smaller = tiny_tables()
    smaller["commune"] = smaller["commune"].iloc[:2]
    smaller["commune_code_map"] = smaller["commune_code_map"].iloc[:2]
    build(tmp_paths, smaller)
    assert reader.execute("SELECT count(*) FROM commune").fetchone()[0] == 3  # its snapshot
    reader.close()
    assert count_communes(tmp_paths) == 2


def test_read_only_connection_cannot_write(tmp_paths):
    build(tmp_paths)
    with connect_read_only(tmp_paths) as con, pytest.raises(duckdb.Error):
        con.execute("DELETE FROM commune")


def test_second_builder_is_told_to_wait(tmp_paths):
    tmp_paths.processed.mkdir(parents=True)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            (
                "import sys, time; from filelock import FileLock; "
                f"lock = FileLock({str(tmp_paths.warehouse_lock)!r}); lock.acquire(); "
                "print('locked', flush=True); time.sleep(30)"
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with (
            pytest.raises(WarehouseBusyError, match="another palmares process"),
            build_lock(tmp_paths),
        ):
            pass
    finally:
        holder.kill()
        holder.wait()
    with build_lock(tmp_paths):  # free again once the holder is gone
        pass


def test_leftovers_of_a_killed_build_are_removed(tmp_paths):
    tmp_paths.processed.mkdir(parents=True)
    killed = ".warehouse.duckdb.0123456789abcdef.tmp.duckdb"  # io.atomic_path's name
    for name in (killed, f"{killed}.wal", "notes.tmp"):
        (tmp_paths.processed / name).write_bytes(b"half a database")
    build(tmp_paths)
    assert sorted(p.name for p in tmp_paths.processed.iterdir()) == [
        "notes.tmp",  # not a build's
        "warehouse.duckdb",
    ]


def test_export_writes_csv_with_codes_and_integers_intact(tmp_paths):
    build(tmp_paths)
    out = tmp_paths.root / "out" / "commune.csv"
    assert export_table(tmp_paths, "commune", out) == 3
    frame = pd.read_csv(out, dtype=str)
    row = frame.set_index("commune_code").loc["59368"]
    assert row["population"] == "21790"  # not 21790.0 despite the nulls in the column
    assert frame.columns[0] == "commune_code"
    with pytest.raises(KeyError, match="unknown table"):
        export_table(tmp_paths, "commune; DROP TABLE region", out)


def test_list_tables_describes_each_table(tmp_paths):
    build(tmp_paths)
    tables = list_tables(tmp_paths).set_index("table")
    assert list(tables.index) == list(TABLES)
    assert tables.loc["commune", "rows"] == 3
    assert "provenance" in tables.loc["source", "description"].lower()
