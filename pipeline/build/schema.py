"""The warehouse schema as Python sees it: schema.sql's text, its tables and their columns.

schema.sql is the one place tables are declared; readers and the writer ask this module
instead of repeating column lists.
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from dataclasses import dataclass
from importlib import resources

import duckdb

SCHEMA_SQL = resources.files("pipeline.build").joinpath("schema.sql").read_text(encoding="utf-8")

#: Tables in declaration order, which is also a valid load order for the foreign keys.
TABLES: tuple[str, ...] = tuple(re.findall(r"^CREATE TABLE (\w+)", SCHEMA_SQL, flags=re.M))

#: Views over the tables, by name: the statement that creates each.
VIEWS: dict[str, str] = {
    name: statement
    for statement, name in re.findall(
        r"^(CREATE VIEW (\w+) AS\s.*?;)$", SCHEMA_SQL, flags=re.M | re.S
    )
}


@dataclass(frozen=True)
class Column:
    """A column as schema.sql declares it: what a CSV header and value must match."""

    name: str
    sql_type: str
    nullable: bool


@functools.cache
def schema_columns() -> dict[str, tuple[Column, ...]]:
    """Columns of every table of schema.sql, in order, as DuckDB understands the file."""
    with duckdb.connect() as con:
        con.execute(SCHEMA_SQL)
        rows = con.execute(
            "SELECT table_name, column_name, data_type, is_nullable = 'YES' "
            "FROM information_schema.columns WHERE table_schema = 'main' "
            "ORDER BY table_name, ordinal_position"
        ).fetchall()
    columns: dict[str, list[Column]] = defaultdict(list)
    for table, name, sql_type, nullable in rows:
        columns[table].append(Column(name, sql_type, nullable))
    return {table: tuple(cols) for table, cols in columns.items()}
