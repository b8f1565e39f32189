"""What changed since an earlier package: rows added, removed or changed, per table and edition.

Rows are matched by the table's primary key and compared as the CSV files write them (text), on
the columns both packages have; a column added or removed is reported once, not as a change of
every row. The detail goes to `changes.csv` (a resource of the package), the counts to
`CHANGELOG.md` in French and to the command's output.
"""

from __future__ import annotations

import csv
import io as text_io
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from pipeline import io
from pipeline.errors import InputError
from pipeline.publish import fields, tables
from pipeline.report.tables import markdown_text

CHANGES_CSV = "changes.csv"
ADDED, REMOVED, CHANGED = "ajoutée", "supprimée", "modifiée"
KINDS = (ADDED, REMOVED, CHANGED)


@dataclass
class Changes:
    """The comparison: the earlier package's descriptor, one row per changed row, and the
    columns each table gained or lost."""

    old: dict
    rows: list[dict] = field(default_factory=list)
    columns_added: dict[str, list[str]] = field(default_factory=dict)
    columns_removed: dict[str, list[str]] = field(default_factory=dict)

    def counts(self) -> Counter:
        """(table, edition, kind) → rows."""
        return Counter((row["table"], row["edition"], row["change"]) for row in self.rows)

    def per_table(self, table: str) -> list[int]:
        """Rows added, removed and changed in a table."""
        kinds = Counter(row["change"] for row in self.rows if row["table"] == table)
        return [kinds[kind] for kind in KINDS]


def compare(old_dir: Path, new_dir: Path, descriptor: dict) -> Changes:
    """Compare the tables written in `new_dir` with those of the package in `old_dir`."""
    old_descriptor = _old_descriptor(old_dir)
    old_paths = {
        resource.get("name"): resource.get("path")
        for resource in old_descriptor.get("resources", [])
        if isinstance(resource, dict)
    }
    changes = Changes(old=old_descriptor)
    for table in tables.PUBLISHED:
        header, rows = tables.read_csv(new_dir / f"{table.name}.csv")
        old_path = old_paths.get(f"{table.name}-csv")
        if old_path is None:  # a table the earlier package did not have: every row is new
            old_header, old_rows = header, []
        else:
            old_header, old_rows = tables.read_csv(_inside(old_dir, old_path))
        shown = old_dir / (old_path or "datapackage.json")
        _compare_table(table, (old_header, old_rows), (header, rows), changes, shown)
    order = {table.name: n for n, table in enumerate(tables.PUBLISHED)}
    changes.rows.sort(
        key=lambda r: (order[r["table"]], r["edition"] or 0, KINDS.index(r["change"]), r["key"])
    )
    return changes


def _old_descriptor(old_dir: Path) -> dict:
    path = old_dir / "datapackage.json"
    try:
        descriptor = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(
            path, "missing: --compare takes a folder written by `palmares publish`"
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(path, f"cannot be read as JSON ({exc})") from None
    if not isinstance(descriptor, dict):
        raise InputError(path, "is not a data package descriptor (a JSON object)")
    return descriptor


def _inside(old_dir: Path, relative) -> Path:
    """A resource's file, refused unless it is a relative path inside the package."""
    parts = PurePosixPath(str(relative)).parts
    if not isinstance(relative, str) or relative.startswith("/") or ".." in parts:
        raise InputError(old_dir / "datapackage.json", f"resource path {relative!r} is not safe")
    path = old_dir / relative
    if not path.is_file():
        raise InputError(path, "missing (listed in datapackage.json)")
    return path


def _compare_table(
    table: tables.Table, old: tuple, new: tuple, changes: Changes, old_path: Path
) -> None:
    """Rows of one table added, removed or changed (on the columns both have), by key."""
    (old_header, old_rows), (header, rows) = old, new
    key = tables.primary_key(table)
    missing = [column for column in key if column not in old_header]
    if missing:
        raise InputError(old_path, f"has no column {', '.join(missing)} of the primary key")
    common = [column for column in header if column in old_header]
    if added := [column for column in header if column not in old_header]:
        changes.columns_added[table.name] = added
    if removed := [column for column in old_header if column not in header]:
        changes.columns_removed[table.name] = removed
    before = _by_key(old_header, old_rows, key)
    after = _by_key(header, rows, key)
    edition = table.edition_column

    def record(kind: str, row: dict, differ: list[str] = ()) -> dict:
        return {
            "table": table.name,
            "edition": int(row[edition]) if edition and row[edition].isdigit() else None,
            "change": kind,
            "key": json.dumps({column: row[column] for column in key}, ensure_ascii=False),
            "columns": json.dumps(list(differ), ensure_ascii=False) if differ else "",
            "before": _values(before.get(_key(row, key)), differ),
            "after": _values(after.get(_key(row, key)), differ),
        }

    for ident, row in after.items():
        if ident not in before:
            changes.rows.append(record(ADDED, row))
        elif differ := [c for c in common if row[c] != before[ident][c]]:
            changes.rows.append(record(CHANGED, row, differ))
    changes.rows += [record(REMOVED, row) for ident, row in before.items() if ident not in after]


def _by_key(header: list[str], rows: list[list[str]], key: list[str]) -> dict[tuple, dict]:
    records = (dict(zip(header, row + [""] * (len(header) - len(row)))) for row in rows)
    return {_key(record, key): record for record in records}


def _key(row: dict, key: list[str]) -> tuple:
    return tuple(row[column] for column in key)


def _values(row: dict | None, columns) -> str:
    if row is None or not columns:
        return ""
    return json.dumps({column: row[column] for column in columns}, ensure_ascii=False)


def write(changes: Changes, staging: Path, descriptor: dict) -> None:
    """`changes.csv`, its resource in the descriptor, and `CHANGELOG.md`."""
    buffer = text_io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(fields.CHANGE_FIELDS), lineterminator="\n")
    writer.writeheader()
    writer.writerows(changes.rows)
    io.write_text(staging / CHANGES_CSV, buffer.getvalue())
    types = {"edition": "integer", "key": "object", "columns": "array"}
    types |= {"before": "object", "after": "object"}
    title, description = fields.CHANGES
    descriptor["resources"].append(
        {
            "name": "changes-csv",
            "title": f"{title} (CSV)",
            "description": description,
            "profile": "tabular-data-resource",
            "path": CHANGES_CSV,
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "licenses": descriptor["licenses"],
            "schema": {
                "fields": [
                    {"name": name, "title": t, "description": d, "type": types.get(name, "string")}
                    | ({"constraints": {"enum": list(KINDS)}} if name == "change" else {})
                    for name, (t, d) in fields.CHANGE_FIELDS.items()
                ],
                "missingValues": [""],
            },
        }
    )
    io.write_text(staging / "CHANGELOG.md", markdown(changes))


def markdown(changes: Changes) -> str:
    """The changelog in French: counts per table, then per edition, then column changes."""
    old = changes.old
    counts = changes.counts()
    lines = [
        "# Journal des modifications",
        "",
        "Comparaison avec le paquet « "
        + markdown_text(old.get("title", old.get("name", "sans titre")))
        + " », version "
        + markdown_text(old.get("version", "non indiquée"))
        + ", créé le "
        + markdown_text(old.get("created", "(date non indiquée)"))
        + ". Les lignes sont appariées par leur clé primaire ; le détail ligne par ligne est "
        f"dans `{CHANGES_CSV}`.",
        "",
    ]
    if not changes.rows:
        lines += ["Aucune ligne ajoutée, supprimée ni modifiée.", ""]
    lines += ["## Par table", "", "| Table | Ajoutées | Supprimées | Modifiées |"]
    lines.append("|---|---:|---:|---:|")
    for table in tables.PUBLISHED:
        n = changes.per_table(table.name)
        lines.append(f"| {fields.TABLES[table.name][0]} | {n[0]} | {n[1]} | {n[2]} |")
    per_edition = sorted({(t, e) for (t, e, _) in counts if e is not None}, key=lambda te: te[1])
    if per_edition:
        lines += [
            "",
            "## Par édition",
            "",
            "| Table | Édition | Ajoutées | Supprimées | Modifiées |",
            "|---|---|---:|---:|---:|",
        ]
        for t, e in per_edition:
            n = [counts[(t, e, kind)] for kind in KINDS]
            lines.append(f"| {fields.TABLES[t][0]} | {e} | {n[0]} | {n[1]} | {n[2]} |")
    for heading, columns in (
        ("Colonnes ajoutées", changes.columns_added),
        ("Colonnes retirées", changes.columns_removed),
    ):
        if columns:
            lines += ["", f"## {heading}", ""]
            lines += [
                f"- {fields.TABLES[t][0]} : " + ", ".join(markdown_text(c) for c in cols)
                for t, cols in columns.items()
            ]
    return "\n".join(lines) + "\n"


def summary_lines(changes: Changes, old_dir: Path) -> list[str]:
    """The comparison for the terminal, one line per table that changed."""
    lines = []
    for table in tables.PUBLISHED:
        n = changes.per_table(table.name)
        if any(n):
            lines.append(f"  {table.name}: {n[0]} added, {n[1]} removed, {n[2]} changed")
    if not lines:
        return [f"No row added, removed or changed since {old_dir}"]
    return [f"Changes since {old_dir}:", *lines]
