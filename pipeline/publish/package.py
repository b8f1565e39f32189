"""The open-data package: every published table as CSV and Parquet, `datapackage.json`, the
README and, against an earlier package, the changelog; validated before it replaces the folder.

Everything is written into a staging folder beside the target (`io.atomic_dir`), validated with
frictionless (offline: every path is a local file), and only then swapped in whole: a failure
leaves the previous folder as it was. The same warehouse gives byte-identical files: rows in
primary-key order, no clock read (`created` is the build's time, from `build_info`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import duckdb

from pipeline import io
from pipeline.analysis.coverage import synthetic_flag
from pipeline.build.warehouse import connect_read_only
from pipeline.paths import Paths
from pipeline.publish import changelog, fields, licences, readme, tables
from pipeline.report.workbook import FORMULA_STARTS

NAME = "palmares-villes-internet"
DISTRIBUTION = "palmares-villes-internet"
FORMATS = ("csv", "parquet")
DESCRIPTOR = "datapackage.json"
#: An example longer than this is left out of the schema (a whole quotation helps nobody).
EXAMPLE_MAX = 80


class PublishError(Exception):
    """The package could not be written or is not valid; the target folder was not touched."""


@dataclass
class Written:
    """A table as written: its rows, an example per column, its cells a spreadsheet would
    take for a formula (per column), its sources."""

    table: tables.Table
    rows: int
    examples: dict[str, str] = field(default_factory=dict)
    formula_cells: dict[str, int] = field(default_factory=dict)
    sources: list[dict] = field(default_factory=list)


def resource_name(table: str, file_format: str) -> str:
    return f"{table}-{file_format}"


def publish(paths: Paths, out: Path, compare: Path | None = None) -> list[str]:
    """Write the package to `out` (replaced whole); return the lines to print."""
    _refuse_foreign_folder(out)
    with connect_read_only(paths) as con:
        _refuse_synthetic(con, paths)
        con.register("continuity", tables.continuity_frame(con))
        with io.atomic_dir(out) as staging:
            written = [_write_table(con, table, staging) for table in tables.PUBLISHED]
            descriptor = _descriptor(con, written)
            changes = None
            if compare is not None:
                changes = changelog.compare(compare, staging, descriptor)
                changelog.write(changes, staging, descriptor)
            io.write_text(staging / "README.md", readme.render(con, descriptor, written, changes))
            text = json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n"
            io.write_text(staging / DESCRIPTOR, text)
            validate(staging / DESCRIPTOR, shown_as=out / DESCRIPTOR)
    lines = [f"{w.table.name}: {w.rows} rows" for w in written]
    if changes is not None:
        lines += changelog.summary_lines(changes, compare)
    return [*lines, f"Package written and valid: {out / DESCRIPTOR}"]


def _refuse_foreign_folder(out: Path) -> None:
    """`--out` is replaced whole: refuse a folder that holds anything but a package."""
    if out.is_file() or (out.is_dir() and any(out.iterdir()) and not (out / DESCRIPTOR).is_file()):
        raise PublishError(
            f"{out} exists and is not a package written by `palmares publish` (no {DESCRIPTOR}): "
            "refusing to replace it; choose a new or empty folder"
        )


def _refuse_synthetic(con: duckdb.DuckDBPyConnection, paths: Paths) -> None:
    """A synthetic palmarès (benchmarks) is never published, nor one mixing synthetic rows."""
    try:
        synthetic = synthetic_flag(con)
    except ValueError as exc:
        raise PublishError(f"{paths.warehouse}: {exc}") from None
    if synthetic:
        raise PublishError(
            f"{paths.warehouse} holds a SYNTHETIC palmarès (scale tests): it is never "
            "published as open data"
        )


def _write_table(con: duckdb.DuckDBPyConnection, table: tables.Table, staging: Path) -> Written:
    """The table as CSV (UTF-8, comma, header; DuckDB quotes what needs it) and Parquet, from
    one SELECT in primary-key order."""
    relation = con.sql(tables.select_sql(table, con))
    csv_path = staging / f"{table.name}.csv"
    relation.write_csv(str(csv_path), header=True, sep=",")
    _write_parquet(relation.to_arrow_table(), staging / f"{table.name}.parquet")
    header, rows = tables.read_csv(csv_path)
    string_columns = {
        name for name, kind, _ in tables.columns(table, con) if kind in ("VARCHAR", '"NULL"')
    }
    written = Written(table, len(rows), sources=licences.source_rows(con, table))
    for position, name in enumerate(header):
        values = [row[position] for row in rows if row[position] != ""]
        if values and len(values[0]) <= EXAMPLE_MAX:
            written.examples[name] = values[0]
        risky = sum(value.startswith(FORMULA_STARTS) for value in values)
        if name in string_columns and risky:
            written.formula_cells[name] = risky
    return written


def _write_parquet(arrow, path: Path) -> None:
    """Parquet with pandas' nullable types recorded in its metadata: a reader through pandas
    (frictionless among them) gets missing values as missing, not integers turned into NaN."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    def nullable(kind):
        if pa.types.is_integer(kind):
            return pd.api.types.pandas_dtype(
                str(kind).replace("uint", "UInt").replace("int", "Int")
            )
        if pa.types.is_floating(kind):
            return pd.Float64Dtype()
        if pa.types.is_boolean(kind):
            return pd.BooleanDtype()
        if pa.types.is_string(kind) or pa.types.is_large_string(kind):
            return pd.StringDtype()
        return None

    frame = arrow.to_pandas(types_mapper=nullable)
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)


def _descriptor(con: duckdb.DuckDBPyConnection, written: list[Written]) -> dict:
    """`datapackage.json` after schema.data.gouv.fr's conventions: French title and
    description, licences, sources, contributors, keywords, countryCode; one resource per
    table and format, sharing one Table Schema."""
    build = dict(con.execute("SELECT key, value FROM build_info").fetchall())
    all_sources = [source for w in written for source in w.sources]
    unique_sources = list({source["path"]: source for source in all_sources}.values())
    resources = []
    for w in written:
        schema = tables.table_schema(w.table, con, w.examples)
        title, description = fields.TABLES[w.table.name]
        for file_format in FORMATS:
            resources.append(_resource(w, schema, title, description, file_format))
    return {
        "name": NAME,
        "title": "Palmarès du label « Territoires, Villes et Villages Internet »",
        "description": (
            "Le palmarès du label rassemblé à partir de sources publiques et rattaché aux codes "
            "officiels (code INSEE des communes, SIREN des intercommunalités), avec les éditions, "
            "les lignes mises de côté, les déclarations de continuité, la continuité par "
            "collectivité et les chiffres de l'illectronisme. Partiel : aucune édition n'est "
            "complète (voir README.md). "
            f"Construit depuis le commit {build.get('git_commit', '?')}, Code officiel "
            f"géographique {build.get('cog_year', '?')}."
        ),
        "version": metadata.version(DISTRIBUTION),
        **({"created": created} if (created := _iso(build.get("built_at", ""))) else {}),
        "countryCode": "FR",
        "keywords": [
            "label",
            "Villes Internet",
            "collectivités",
            "numérique",
            "illectronisme",
            "code officiel géographique",
        ],
        "contributors": [
            {"title": "Contributeurs du projet (transcription des sources)", "role": "author"}
        ],
        "licenses": licences.licences_of(unique_sources),
        "sources": [licences.package_source(source) for source in unique_sources],
        "profile": "tabular-data-package",
        "resources": resources,
    }


def _resource(w: Written, schema: dict, title: str, description: str, file_format: str) -> dict:
    path = f"{w.table.name}.{file_format}"
    schema = json.loads(json.dumps(schema))  # each resource its own copy
    for foreign_key in schema.get("foreignKeys", []):
        reference = foreign_key["reference"]
        reference["resource"] = resource_name(reference["resource"], file_format)
    resource = {
        "name": resource_name(w.table.name, file_format),
        "title": f"{title} ({file_format.upper()})",
        "description": description,
        "profile": "tabular-data-resource",
        "path": path,
        "format": file_format,
        "mediatype": "text/csv" if file_format == "csv" else "application/vnd.apache.parquet",
    }
    if file_format == "csv":
        resource["encoding"] = "utf-8"
    resource.update(
        {
            "licenses": licences.licences_of(w.sources),
            "sources": [licences.package_source(source) for source in w.sources],
            "schema": schema,
        }
    )
    return resource


def _iso(built_at: str) -> str:
    """build_info's "2026-12-01 10:06 UTC" as RFC 3339 ("2026-12-01T10:06:00Z")."""
    day, _, rest = built_at.partition(" ")
    clock = rest.removesuffix(" UTC")
    return f"{day}T{clock}:00Z" if day and clock else ""


def validate(descriptor: Path, shown_as: Path) -> None:
    """Validate the package with frictionless (schemas, types, keys, foreign keys); raise
    PublishError naming the first problems (as `shown_as`, where the package was headed)."""
    from frictionless import Package

    report = Package(str(descriptor)).validate()
    if report.valid:
        return
    problems = [
        f"{task.name} row {getattr(error, 'row_number', None) or '-'}: {error.message}"
        for task in report.tasks
        for error in task.errors
    ] + [error.message for error in report.errors]
    more = f"; and {len(problems) - 5} more" if len(problems) > 5 else ""
    shown = "; ".join(problems[:5]) + more
    raise PublishError(f"{shown_as} would not be a valid data package, nothing written: {shown}")
