"""The only writer of the DuckDB warehouse.

A build writes a complete new database file next to the old one, then renames it over the old
one (atomic on POSIX), under an exclusive lock: a crash or a concurrent run never leaves a
half-written warehouse, and readers holding the old file keep a consistent view. The lock is
`pipeline.build.lock.build_lock`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import duckdb
import pandas as pd

from pipeline import io
from pipeline.build.schema import SCHEMA_SQL, TABLES
from pipeline.errors import WarehouseBuildError
from pipeline.paths import Paths


def build_warehouse(
    paths: Paths,
    tables: Mapping[str, pd.DataFrame],
    sources: list[dict],
    build_info: Mapping[str, str],
) -> dict[str, int]:
    """Write a new warehouse from complete tables and swap it in; return rows per table.

    The caller holds `build_lock`. Every table of the schema must be given (an empty one is
    written as empty), so a build can never silently keep stale rows from an older one.
    """
    unknown = set(tables) - set(TABLES) - {"source", "build_info"}
    if unknown:
        raise WarehouseBuildError(f"tables not in schema.sql: {sorted(unknown)}")
    frames = dict(tables)
    frames["source"] = pd.DataFrame(sources)
    frames["build_info"] = pd.DataFrame(
        {"key": list(build_info), "value": [str(v) for v in build_info.values()]}
    )
    missing = set(TABLES) - set(frames)
    if missing:
        raise WarehouseBuildError(f"no rows given for tables {sorted(missing)}")

    paths.processed.mkdir(parents=True, exist_ok=True)
    remove_leftovers(paths)
    counts: dict[str, int] = {}
    with io.atomic_path(paths.warehouse) as tmp:
        try:
            with duckdb.connect(str(tmp)) as con:
                con.execute(SCHEMA_SQL)
                for name in TABLES:
                    counts[name] = _insert(con, name, frames[name])
                con.execute("CHECKPOINT")
        finally:
            Path(f"{tmp}.wal").unlink(missing_ok=True)  # DuckDB's journal, beside the file
    return counts


def _insert(con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame) -> int:
    """Insert a DataFrame by column name; schema violations name the table."""
    columns = [row[0] for row in con.execute(f"DESCRIBE {name}").fetchall()]
    if list(frame.columns) != columns:
        raise WarehouseBuildError(
            f"table {name}: columns {list(frame.columns)} do not match schema.sql {columns}"
        )
    con.register("incoming", frame)
    try:
        con.execute(f"INSERT INTO {name} SELECT * FROM incoming")
    except duckdb.Error as exc:
        raise WarehouseBuildError(f"table {name}: {exc}") from None
    finally:
        con.unregister("incoming")
    return len(frame)


def remove_leftovers(paths: Paths) -> None:
    """Delete temporary files of builds that were killed (`io.atomic_path`'s hidden names and
    their journals); the caller holds the lock."""
    for leftover in paths.processed.glob(f".{paths.warehouse.name}.*.tmp*"):
        leftover.unlink(missing_ok=True)


def connect_read_only(paths: Paths) -> duckdb.DuckDBPyConnection:
    """Open the warehouse for reading, as notebooks and reports must."""
    if not paths.warehouse.exists():
        raise FileNotFoundError(f"{paths.warehouse} does not exist: run `palmares run` first")
    return duckdb.connect(str(paths.warehouse), read_only=True)


def list_tables(paths: Paths) -> pd.DataFrame:
    """Tables of the warehouse with their description and row count, in schema order."""
    with connect_read_only(paths) as con:
        described = con.execute(
            "SELECT table_name, comment FROM duckdb_tables() WHERE schema_name = 'main'"
        ).fetchall()
        rows = []
        comments = dict(described)
        for name in TABLES:
            if name in comments:
                count = con.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
                rows.append({"table": name, "rows": count, "description": comments[name]})
    return pd.DataFrame(rows)


def export_table(paths: Paths, table: str, out: Path) -> int:
    """Write one warehouse table as CSV (UTF-8, comma, header); return the row count.

    The table name is checked against the schema before it reaches SQL. DuckDB writes the CSV
    (integers with nulls stay integers), to a temporary name first so an interrupted export
    never leaves a truncated file; list columns are joined with "|".
    """
    if table not in TABLES:
        raise KeyError(f"unknown table {table!r}; `palmares export --list` shows the tables")
    with connect_read_only(paths) as con, io.atomic_path(out) as tmp:
        columns = [
            f"array_to_string({name}, '|') AS {name}" if kind.endswith("[]") else name
            for name, kind, *_ in con.execute(f"DESCRIBE {table}").fetchall()
        ]
        relation = con.sql(f"SELECT {', '.join(columns)} FROM {table}")
        relation.write_csv(str(tmp), header=True, sep=",", compression="none")
        return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
