"""The published tables: what each is read from, its keys, and its Table Schema.

Columns, types, required columns, primary keys and enumerations come from schema.sql (read
through DuckDB, as `pipeline.build.schema` does); continuity's come from the frame the analysis
returns (`palmares export continuity`'s recipe). Titles and descriptions are `fields.py`'s.
"""

from __future__ import annotations

import csv
import functools
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from pipeline.build.schema import SCHEMA_SQL, schema_columns
from pipeline.publish import fields

REFERENCE = "data/raw/reference/"
OVERRIDES = "data/raw/palmares/overrides.csv"
EDITIONS = "data/raw/palmares/editions.csv"
CLAIMS = "data/raw/palmares/claims.csv"


@dataclass(frozen=True)
class ForeignKey:
    """Columns of this table that must match the primary key of another published table."""

    columns: tuple[str, ...]
    table: str
    reference: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    """A published table.

    `edition_column` names its label year (the changelog counts changes per edition);
    `rests_on` lists the tables whose `source_file`s it is built from and `raw` the other raw
    files (path or folder prefix), which together give its sources and licences.
    """

    name: str
    edition_column: str | None
    rests_on: tuple[str, ...] = ()
    raw: tuple[str, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    computed_key: tuple[str, ...] = ()  # a computed table's primary key (schema.sql has none)

    @property
    def computed(self) -> bool:
        return self.name not in schema_columns()


_TO_EDITION = ForeignKey(("edition",), "edition", ("label_year",))

#: In an order where every foreign key points to a table already listed.
PUBLISHED: tuple[Table, ...] = (
    Table("edition", "label_year", rests_on=("laureates",), raw=(EDITIONS,)),
    Table(
        "edition_conflict",
        "label_year",
        raw=(EDITIONS,),
        foreign_keys=(ForeignKey(("label_year",), "edition", ("label_year",)),),
    ),
    Table(
        "continuity",
        None,
        rests_on=("laureates", "quarantine"),
        raw=(EDITIONS, OVERRIDES, REFERENCE),
        computed_key=("code",),
    ),
    Table(
        "laureates",
        "edition",
        rests_on=("laureates",),
        raw=(OVERRIDES, REFERENCE),
        foreign_keys=(_TO_EDITION, ForeignKey(("code",), "continuity", ("code",))),
    ),
    Table(
        "quarantine",
        "edition",
        rests_on=("quarantine",),
        raw=(OVERRIDES, REFERENCE),
        foreign_keys=(_TO_EDITION,),
    ),
    Table("claim", None, rests_on=("laureates", "quarantine"), raw=(CLAIMS, REFERENCE)),
    Table(
        "illectronism",
        None,
        rests_on=("illectronism",),
        raw=("data/raw/insee/epci_2019.json", REFERENCE),
    ),
)
BY_NAME = {table.name: table for table in PUBLISHED}


class UndescribedColumn(LookupError):
    """A column has no French title and description in fields.py."""


@functools.cache
def _constraints() -> dict[str, list[tuple[str, list[str], str | None]]]:
    """schema.sql's constraints per table: (kind, columns, CHECK expression)."""
    with duckdb.connect() as con:
        con.execute(SCHEMA_SQL)
        rows = con.execute(
            "SELECT table_name, constraint_type, constraint_column_names, expression "
            "FROM duckdb_constraints() ORDER BY table_name, constraint_index"
        ).fetchall()
    found: dict[str, list] = {}
    for table, kind, columns, expression in rows:
        found.setdefault(table, []).append((kind, list(columns), expression))
    return found


def primary_key(table: Table) -> list[str]:
    if table.computed:
        return list(table.computed_key)
    keys = [cols for kind, cols, _ in _constraints()[table.name] if kind == "PRIMARY KEY"]
    return keys[0]


def columns(table: Table, con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, bool]]:
    """(name, DuckDB type, nullable) of each column: schema.sql's, or the computed frame's as
    registered on `con` under the table's name."""
    if not table.computed:
        return [(c.name, c.sql_type, c.nullable) for c in schema_columns()[table.name]]
    described = con.execute(f'DESCRIBE "{table.name}"').fetchall()
    return [(name, kind, name not in table.computed_key) for name, kind, *_ in described]


def select_sql(table: Table, con: duckdb.DuckDBPyConnection) -> str:
    """The published rows, in primary-key order; lists as JSON text (both formats share one
    Table Schema), an all-empty computed column as text."""
    shown = []
    for name, kind, _ in columns(table, con):
        if kind.endswith("[]"):
            shown.append(f'to_json("{name}")::VARCHAR AS "{name}"')
        elif kind == '"NULL"':
            shown.append(f'"{name}"::VARCHAR AS "{name}"')
        else:
            shown.append(f'"{name}"')
    order = ", ".join(f'"{name}"' for name in primary_key(table))
    return f'SELECT {", ".join(shown)} FROM "{table.name}" ORDER BY {order}'


def frictionless_type(sql_type: str) -> str:
    """The Table Schema type of a DuckDB type."""
    if sql_type.endswith("[]"):
        return "array"
    base = sql_type.upper()
    if base in {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT"}:
        return "integer"
    if base in {"DOUBLE", "FLOAT", "REAL"} or base.startswith("DECIMAL"):
        return "number"
    return {"BOOLEAN": "boolean", "DATE": "date", "TIMESTAMP": "datetime"}.get(base, "string")


_ENUM = re.compile(r"^\((\w+) IN \((.*)\)\)$")
_BETWEEN = re.compile(r"^\((\w+) BETWEEN (-?\d+) AND (-?\d+)\)$")


def _checks(table: Table) -> dict[str, dict]:
    """Table Schema constraints of schema.sql's one-column CHECKs (IN lists, BETWEEN)."""
    found: dict[str, dict] = {}
    for kind, cols, expression in [] if table.computed else _constraints()[table.name]:
        if kind != "CHECK" or len(cols) != 1:
            continue
        if enum := _ENUM.match(expression):
            values = re.findall(r"'((?:[^']|'')*)'", enum.group(2))
            found[cols[0]] = {"enum": [value.replace("''", "'") for value in values]}
        elif between := _BETWEEN.match(expression):
            low, high = int(between.group(2)), int(between.group(3))
            found[cols[0]] = {"minimum": low, "maximum": high}
    return found


def table_schema(table: Table, con: duckdb.DuckDBPyConnection, examples: dict[str, str]) -> dict:
    """The Table Schema: every field with its French title and description, type, an example
    taken from the data and its constraints; the primary and foreign keys."""
    texts = fields.FIELDS[table.name]
    checks = _checks(table)
    key = primary_key(table)
    described = []
    for name, sql_type, nullable in columns(table, con):
        if name not in texts:
            raise UndescribedColumn(
                f"column {table.name}.{name} has no French title and description: add it "
                "to pipeline/publish/fields.py"
            )
        title, description = texts[name]
        field = {"name": name, "title": title, "description": description}
        field["type"] = frictionless_type(sql_type)
        if name in examples:
            field["example"] = examples[name]
        constraints = {"required": True} if not nullable or name in key else {}
        constraints.update(checks.get(name, {}))
        if constraints:
            field["constraints"] = constraints
        described.append(field)
    schema: dict = {"fields": described, "missingValues": [""], "primaryKey": key}
    if table.foreign_keys:
        schema["foreignKeys"] = [
            {
                "fields": list(fk.columns),
                "reference": {"resource": fk.table, "fields": list(fk.reference)},
            }
            for fk in table.foreign_keys
        ]
    return schema


def continuity_frame(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """`palmares export continuity` without `--claims` (exports.COMPUTED's "continuity")."""
    from pipeline.report.exports import continuity_export

    return continuity_export(con)


def read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    """A CSV of a package as text: its header and rows."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, [])
        return header, list(reader)
