"""Palmarès readers: every file users bring, in every common shape, turned into the same
canonical rows, with a description of what was understood.

Readers know formats, not codes: they never look a name up in the reference geography (the
resolver does that). They keep the name exactly as published and refuse, with the file, the
row and the problem, anything they cannot read without guessing.

Files read by `read_palmares` (and described by `describe`):

- the project's canonical CSV: UTF-8, comma-separated, standard CSV quoting, this header::

      edition,name,departement,kind,arobases,distinction,code,source_url,quote,note

  one row per edition × collectivity. `edition` is the label year (1999 onwards); `name` the
  collectivity as published; `departement` its département code when known; `kind` ville,
  village or territoire (may be empty); `arobases` 1 to 5, 0 for a «mention», empty when the
  level is unknown; `distinction` an extra distinction (TEN, thematic mention); `code` an
  optional INSEE commune code or EPCI SIREN, kept as written; `source_url`, `quote`, `note`
  the evidence and a person's remarks. Only edition, name and arobases are required columns.
- the shared data/raw/palmares/laureates.csv (edition_year, collectivity_name,
  department_code, category, arobases, distinction, source_url, quote, note);
- exports as users have them: CSV (`;`, `,` or tab separated; UTF-8 with or without BOM, or
  Windows-1252) or XLSX (every sheet holding a palmarès table), with French headers read by
  meaning (palmares_headers), the header row found wherever it is, title rows above it, notes,
  blank rows and totals under it (palmares_rows), in three shapes: long, wide (one column per
  edition) or one edition per sheet (palmares_shapes).

The worked example row of the data-entry template (`palmares template`, `TEMPLATE_EXAMPLE`)
is not data: left as the template wrote it, it is reported and skipped; changed, the file is
refused, since what the person meant by it cannot be told.

Traceability: `source_row` is the row a person sees in the spreadsheet (for a wide table, the
collectivity's row). When that is not enough to find the cell, `source_file` carries where in
the file, after a '#': the sheet when a workbook has several palmarès sheets
(``imports/h.xlsx#feuille=2019``), the column of a wide table's edition
(``imports/h.csv#colonne=D``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from pipeline.build.sources import tabular
from pipeline.build.sources.palmares_headers import HEADER_SPELLINGS, find_header
from pipeline.build.sources.palmares_reading import Reading
from pipeline.build.sources.palmares_rows import TEMPLATE_EXAMPLE
from pipeline.build.sources.palmares_shapes import (
    RECORD_COLUMNS,
    REQUIRED,
    missing_columns,
    read_sheet,
)
from pipeline.build.sources.palmares_values import FIRST_EDITION, KIND_SPELLINGS
from pipeline.build.sources.palmares_values import edition as _edition  # noqa: F401
from pipeline.build.sources.palmares_values import kind as _kind  # noqa: F401
from pipeline.build.sources.palmares_values import level as _level  # noqa: F401
from pipeline.build.sources.tabular import Rows
from pipeline.errors import InputError

__all__ = [
    "CANONICAL_COLUMNS",
    "CSV_SEPARATORS",
    "FIRST_EDITION",
    "HEADER_SPELLINGS",
    "KIND_SPELLINGS",
    "REQUIRED",
    "TEMPLATE_EXAMPLE",
    "Reading",
    "describe",
    "read_palmares",
]

#: Columns of the frame `read_palmares` returns, in this order.
CANONICAL_COLUMNS = ["source_file", "source_row", *RECORD_COLUMNS]
CSV_SEPARATORS = (";", ",", "\t")
#: What the refusals of an unreadable file advise.
_EXPORT_AGAIN = "export the palmarès again as CSV (UTF-8) or XLSX"


def read_palmares(path: Path, source_file: str | None = None) -> pd.DataFrame:
    """Read one palmarès file (CSV or XLSX) into `CANONICAL_COLUMNS`, one row per edition ×
    collectivity.

    `source_file` is what the frame records as the file (the caller passes the path relative
    to the project root); `source_row` is the row number a person sees in a spreadsheet.
    Raises `InputError` naming the file, the row and the problem for anything unreadable.
    """
    return describe(path, source_file).frame


def describe(path: Path, source_file: str | None = None) -> Reading:
    """Read one palmarès file and say what was understood: per sheet, its shape, header row,
    each column's field, where the editions come from, the rows read and the rows skipped
    with why (`Reading.lines()` for a person); `Reading.frame` is what `read_palmares` returns.
    """
    path = Path(path)
    source_file = source_file if source_file is not None else str(path)
    sheets = _sheets(path)
    readings = [read_sheet(path, name, rows) for name, rows in sheets]
    tables = [reading for reading in readings if reading.shape is not None]
    if not tables:
        raise missing_columns(path, [rows for _, rows in sheets])
    if not any(reading.records for reading in tables):
        raise InputError(path, f"no data rows under the header (row {tables[0].header_row})")
    several = len([reading for reading in tables if reading.records]) > 1
    records = [
        [_located(source_file, reading.sheet if several else None, column), number, *values]
        for reading in tables
        for number, column, values in reading.records
    ]
    frame = pd.DataFrame(records, columns=CANONICAL_COLUMNS, dtype=object)
    frame = frame.astype({"source_row": "int64", "edition": "Int64", "arobases": "Int64"})
    return Reading(source_file, readings, frame)


#: The locator `_located` appends, and SQL giving back the file a row's `source_file` names.
_LOCATOR = re.compile(r"#(?:feuille|colonne)=.*$")
SOURCE_PATH_SQL = "regexp_replace(source_file, '#(feuille|colonne)=.*$', '')"


def source_path(source_file: str) -> str:
    """The file a row's `source_file` names, without the sheet or column that locate it."""
    return _LOCATOR.sub("", source_file)


def _located(source_file: str, sheet: str | None, column: str | None) -> str:
    """The file, and after '#' the sheet and the column that locate the cell when needed."""
    parts = [f"feuille={sheet}"] if sheet is not None else []
    parts += [f"colonne={column}"] if column is not None else []
    return f"{source_file}#{';'.join(parts)}" if parts else source_file


# --- Formats: each gives (sheet name or None, rows), rows being (row number, cells) -----------


def _sheets(path: Path) -> list[tuple[str | None, Rows]]:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return [(None, _csv_rows(path))]
    if suffix == ".xlsx":
        return tabular.xlsx_sheets(
            path,
            _xlsx_text,
            invalid_advice="open it in a spreadsheet program and save it again as .xlsx or CSV",
            damaged_advice="save it again as .xlsx or CSV",
        )
    raise InputError(
        path,
        f"unsupported file type {suffix or '(no extension)'!r}: "
        "save the palmarès as CSV or as an Excel workbook (.xlsx)",
    )


def _csv_rows(path: Path) -> Rows:
    """Decode the file, then pick the separator under which a header row is recognised.

    Every separator's split is made before choosing: a CSV error under any of them refuses
    the file.
    """
    text = tabular.decode(path, kind="CSV text file", advice=_EXPORT_AGAIN)
    parsed = [tabular.parse_csv(path, text, separator) for separator in CSV_SEPARATORS]
    rows, _ = tabular.pick_split(parsed, find_header, _first_row_width)
    return rows


def _first_row_width(rows: Rows) -> int:
    return next((len(cells) for _, cells in rows if any(cells)), 0)


def _xlsx_text(value):
    """Cell value as text; a whole number stored as a float (2024.0) becomes "2024"."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return None if value is None else (str(value).strip() or None)
