"""INSEE figure downloads: reading one, and telling one from a palmarès export.

A figure download is the data of one figure of an INSEE publication, as a researcher downloads
it from insee.fr (the "Télécharger" button under a figure) or a faithful copy of it. What it
measures is not in the file but in its manifest entry (`insee.ingest_metadata`).

Formats read by `read_insee_figure` (all give the same canonical rows, `FIGURE_COLUMNS`):

- CSV as insee.fr serves it: ``;`` separated (``,`` and tab also recognised), UTF-8 with or
  without BOM or Windows-1252, title rows above the table and "Champ : / Source : / Lecture :"
  rows below it, decimal commas, spaces, U+00A0 or U+202F as thousands separators;
- XLSX (first sheet, same layout; numeric cells taken as they are, formulas refused);
- the JSON copy shape: a list of objects keyed by the same headers (``[{"Code EPCI":
  200018083, "Libellé EPCI": "...", "Taux (en %)": "18,7", "Nombre": "3 346"}]``).

Headers are matched ignoring case and accents: a code column ("Code EPCI", "Code région",
"Code département", "SIREN EPCI"...) gives the geographic level; "Libellé ..." / "Nom ..." the
name as published; "Taux ..." / "Part ..." / "... (en %)" a rate in percent; "Nombre ..." /
"Effectif ..." a count of persons. Anything that cannot be read without guessing is refused
with `InputError` (file, row as an editor shows it, problem): a missing code or value column,
several rate columns, a value such as "18.7" in a file that writes decimals with a comma, or
"abc", a rate outside 0-100, a code of the wrong shape, the same code twice; codes unknown to
the reference geography are refused when the figure is checked (`ingest.check_figure`, the
build).

`looks_like_insee_figure(path)` routes the files given to ``palmares ingest``: a code column
with a rate or count column is a figure download, anything else a palmarès export.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipeline.build.sources import tabular
from pipeline.build.sources.tabular import SPACES, Formula, Rows, fold_words
from pipeline.errors import InputError

#: Columns of the frame `read_insee_figure` returns, whatever the file format.
FIGURE_COLUMNS = [
    "source_file",
    "source_row",
    "geography_level",
    "geography_code",
    "geography_name",
    "measure",
    "value",
    "value_published",
    "cells",
]

#: Title rows allowed above the header row.
HEADER_SEARCH_ROWS = 15
CSV_SEPARATORS = (";", "\t", ",")
#: Cells INSEE writes for a value it does not publish (secret, not available, not significant).
MISSING_MARKERS = {"s", "nd", "n.d.", "n.d", "ns", "n.s.", "///", "-", "–", "—", "…", "..."}
#: First words of the notes INSEE puts under a table.
FOOTER_WORDS = (
    "source",
    "sources",
    "champ",
    "lecture",
    "note",
    "notes",
    "guide de lecture",
    "definition",
    "definitions",
    "avertissement",
    "*",
    "(",
)


# --- Formats --------------------------------------------------------------------------------


@dataclass
class _Table:
    """Header and data rows of a file, whatever its format."""

    header_row: int | None  # None: JSON, where every object carries its keys
    headers: list
    rows: Rows  # (row number as an editor shows it, cells)


def _csv_table(path: Path) -> _Table:
    text = tabular.decode(path)
    splits = (tabular.parse_csv(path, text, separator) for separator in CSV_SEPARATORS)
    return _split(*tabular.pick_split(splits, _find_header, _widest_of_first_rows))


def _widest_of_first_rows(rows: Rows) -> int:
    return max((len(cells) for _, cells in rows[:5]), default=0)


def _xlsx_table(path: Path) -> _Table:
    rows = tabular.xlsx_rows(path, _xlsx_value, invalid_advice="save it again as .xlsx or CSV")
    return _split(rows, _find_header(rows))


def _xlsx_value(value):
    """Text stripped (None if blank); numbers as they are, to keep their precision."""
    return (value.strip() or None) if isinstance(value, str) else value


def _json_table(path: Path) -> _Table:
    """A list of objects; each object's row is the line where it starts."""
    text = tabular.decode(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(path, f"not valid JSON ({exc.msg})", row=exc.lineno) from None
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise InputError(
            path,
            "a JSON figure must be a list of objects keyed by the table's "
            'headers ([{"Code EPCI": ..., "Taux (en %)": ...}])',
        )
    decoder, position, lines = json.JSONDecoder(), text.index("[") + 1, []
    skip = re.compile(r"[\s,]*")
    for _ in data:
        position = skip.match(text, position).end()
        lines.append(text.count("\n", 0, position) + 1)
        _, position = decoder.raw_decode(text, position)
    headers: list[str] = []
    for item in data:
        headers.extend(key for key in item if key not in headers)
    rows = [(line, [item.get(key) for key in headers]) for line, item in zip(lines, data)]
    return _Table(None, headers, rows)


def _split(rows: Rows, header_index: int | None) -> _Table:
    if header_index is None:  # no header recognised: the first non-empty row, for the errors
        header_index = tabular.first_filled(rows)
        if header_index is None:
            return _Table(rows[0][0] if rows else 1, [], [])
    number, headers = rows[header_index]
    return _Table(number, list(headers), rows[header_index + 1 :])


_READERS = {".csv": _csv_table, ".xlsx": _xlsx_table, ".json": _json_table}


# --- Columns --------------------------------------------------------------------------------

_CODE_LEVELS = (
    ("epci", "epci"),
    ("interco", "epci"),
    ("region", "region"),
    ("departement", "departement"),
)
_NAME_EXACT = {
    "territoire",
    "intercommunalite",
    "epci",
    "region",
    "departement",
    "zone",
    "zonage",
    "nom",
}


def _column_kind(header) -> tuple[str, str | None] | None:
    """("code", level), ("name", None), ("rate", None), ("count", None), or None."""
    if not isinstance(header, str):
        return None
    text = fold_words(header)
    if "@" in text or "arobase" in text:  # a palmarès level ("Nb @"), never an INSEE value
        return None
    if re.match(r"(code|siren|cod)\b", text):
        for word, level in _CODE_LEVELS:
            if word in text:
                return "code", level
        return None
    if text.startswith(("libelle", "nom ")) or text in _NAME_EXACT:
        return "name", None
    if (
        text.startswith(("taux", "part ", "part(", "proportion", "pourcentage"))
        or text == "part"
        or "(en %)" in text
        or text in ("%", "en %")
    ):
        return "rate", None
    if text.startswith(("nombre", "effectif", "nb ")):
        return "count", None
    return None


def _kinds(headers: list) -> dict[str, list[tuple[int, str | None]]]:
    found: dict[str, list] = defaultdict(list)
    for index, header in enumerate(headers):
        if kind := _column_kind(header):
            found[kind[0]].append((index, kind[1]))
    return found


def _is_figure_header(cells: list) -> bool:
    """A code column and a rate or count column: an INSEE figure's header."""
    kinds = _kinds(cells)
    return bool(kinds.get("code") and (kinds.get("rate") or kinds.get("count")))


def _find_header(rows: Rows) -> int | None:
    return tabular.find_header(rows, _is_figure_header, HEADER_SEARCH_ROWS)


@dataclass(frozen=True)
class _Columns:
    level: str
    code: int
    name: int | None
    rate: int | None
    count: int | None


def _columns(path: Path, table: _Table) -> _Columns:
    kinds = _kinds(table.headers)
    found = ", ".join(repr(h) for h in table.headers if h is not None) or "none"
    codes, rates, counts = kinds.get("code", []), kinds.get("rate", []), kinds.get("count", [])
    if not codes:
        raise InputError(
            path,
            "no code column: expected 'Code EPCI', 'Code région' or 'Code "
            f"département' (headers found: {found})",
            row=table.header_row,
        )
    if len(codes) > 1:
        raise InputError(
            path,
            "several code columns ("
            + ", ".join(repr(table.headers[i]) for i, _ in codes)
            + "): keep one",
            row=table.header_row,
        )
    if not rates and not counts:
        raise InputError(
            path,
            "no value column: expected a rate ('Taux (en %)', 'Part ...') or "
            f"a count ('Nombre ...') (headers found: {found})",
            row=table.header_row,
        )
    for kind, columns in (("rate", rates), ("count", counts)):
        if len(columns) > 1:
            raise InputError(
                path,
                f"several {kind} columns ("
                + ", ".join(repr(table.headers[i]) for i, _ in columns)
                + "): a figure download gives one "
                "indicator; save each column in its own file",
                row=table.header_row,
            )
    names = kinds.get("name", [])
    name = next(
        (i for i, _ in names if fold_words(table.headers[i]).startswith("libelle")),
        names[0][0] if names else None,
    )
    ((code, level),) = codes
    return _Columns(
        level, code, name, rates[0][0] if rates else None, counts[0][0] if counts else None
    )


# --- Values ---------------------------------------------------------------------------------

_CODE_SHAPES = {
    "epci": (re.compile(r"\d{9}"), "a 9-digit SIREN"),
    "region": (re.compile(r"\d{2}"), "a 2-digit région code"),
    "departement": (re.compile(r"\d{2}|2[AB]|97\d"), "a département code (01-95, 2A, 2B, 971-976)"),
}


def _code(path: Path, level: str, cell, row: int) -> str:
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    text = SPACES.sub("", str(cell)).upper()
    if re.fullmatch(r"\d", text) and level in ("region", "departement"):
        text = text.zfill(2)  # a spreadsheet dropped the leading zero
    pattern, shape = _CODE_SHAPES[level]
    if not pattern.fullmatch(text):
        raise InputError(path, f"{level} code {cell!r} is not {shape}", row=row)
    return text


def _published(cell) -> str:
    return cell if isinstance(cell, str) else repr(cell) if isinstance(cell, float) else str(cell)


class _DecimalMark:
    """The file's decimal separator, set by its first decimal number and then enforced."""

    def __init__(self, path: Path):
        self.path, self.mark, self.example = path, None, None

    def check(self, text: str, row: int, header: str) -> None:
        mark = "," if "," in text else "." if "." in text else None
        if mark is None:
            return
        if self.mark is None:
            self.mark, self.example = mark, (text, row)
        elif mark != self.mark:
            written = "a comma" if self.mark == "," else "a point"
            raise InputError(
                self.path,
                f"value {text!r} in column {header!r} has a decimal "
                f"{'point' if mark == '.' else 'comma'}, but this file writes "
                f"decimals with {written} ({self.example[0]!r} in row "
                f"{self.example[1]}): correct the value or export the file again",
                row=row,
            )


def _rate(path: Path, cell, row: int, header: str, marks: _DecimalMark) -> float | None:
    if isinstance(cell, bool):
        raise InputError(path, f"value {cell!r} in column {header!r} is not a number", row=row)
    if isinstance(cell, (int, float)):
        value = float(cell)
    else:
        text = SPACES.sub("", str(cell)).removesuffix("%")
        if text.casefold() in MISSING_MARKERS:
            return None
        if not re.fullmatch(r"-?\d+([.,]\d+)?", text):
            raise InputError(path, f"value {cell!r} in column {header!r} is not a number", row=row)
        marks.check(text, row, header)
        value = float(text.replace(",", "."))
    if not 0 <= value <= 100:
        raise InputError(path, f"rate {cell!r} in column {header!r} is outside 0-100", row=row)
    return value


def _count(path: Path, cell, row: int, header: str) -> float | None:
    if isinstance(cell, bool):
        raise InputError(path, f"value {cell!r} in column {header!r} is not a number", row=row)
    if isinstance(cell, (int, float)):
        if float(cell) != int(cell) or cell < 0:
            raise InputError(
                path, f"count {cell!r} in column {header!r} is not a whole number", row=row
            )
        return float(cell)
    text = SPACES.sub("", str(cell))
    if text.casefold() in MISSING_MARKERS:
        return None
    if not re.fullmatch(r"\d+", text):
        problem = (
            "is not a number"
            if not re.search(r"\d", text)
            else ("is not a whole number (INSEE separates thousands with spaces: 3 346)")
        )
        raise InputError(path, f"count {cell!r} in column {header!r} {problem}", row=row)
    return float(text)


def _is_footer(cells: list) -> bool:
    """A note under the table: one text cell starting "Source", "Champ", "Lecture"..."""
    filled = [c for c in cells if c is not None]
    return (
        len(filled) == 1
        and isinstance(filled[0], str)
        and fold_words(filled[0]).startswith(FOOTER_WORDS)
    )


def _refuse_formulas(path: Path, cells: list, row: int) -> None:
    for cell in cells:
        if isinstance(cell, Formula):
            raise InputError(
                path,
                f"cell {cell.coordinate} holds a formula: save the workbook with values only",
                row=row,
            )


def _row_code(
    path: Path, table: _Table, columns: _Columns, cells: list, row: int, seen: dict[str, int]
) -> str:
    """The row's code, checked; `seen` (code → row) refuses a code given twice."""
    code_cell = cells[columns.code]
    if code_cell is None:
        raise InputError(
            path, f"no {columns.level} code in column {table.headers[columns.code]!r}", row=row
        )
    code = _code(path, columns.level, code_cell, row)
    if code in seen:
        raise InputError(
            path,
            f"{columns.level} code {code} appears twice (rows {seen[code]} and {row})",
            row=row,
        )
    seen[code] = row
    return code


def _measures(
    path: Path, table: _Table, columns: _Columns, cells: list, row: int, marks: _DecimalMark
) -> list[tuple[str, float | None, str]]:
    """(measure, value, value as published) of the row's rate and count columns."""
    found = []
    for measure, index in (("rate", columns.rate), ("count", columns.count)):
        if index is None:
            continue
        cell, header = cells[index], str(table.headers[index])
        if cell is None:
            found.append((measure, None, ""))
        elif measure == "rate":
            found.append((measure, _rate(path, cell, row, header, marks), _published(cell)))
        else:
            found.append((measure, _count(path, cell, row, header), _published(cell)))
    return found


def read_insee_figure(path: Path, source_file: str | None = None) -> pd.DataFrame:
    """Read one INSEE figure download (CSV, XLSX or JSON copy) into `FIGURE_COLUMNS` rows.

    One row per table row and measure ("rate" in percent, "count" of persons). Checks the
    format only; codes are checked against the reference geography by `ingest.check_figure`.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in _READERS:
        raise InputError(
            path,
            f"unsupported file type {suffix or '(no extension)'!r}: an INSEE "
            "figure download is read as .csv, .xlsx or .json",
        )
    table = _READERS[suffix](path)
    columns = _columns(path, table)
    headers = table.headers
    marks = _DecimalMark(path)
    seen: dict[str, int] = {}
    records = []
    for number, cells in table.rows:
        cells = list(cells) + [None] * (len(headers) - len(cells))
        if all(cell is None for cell in cells):
            continue
        _refuse_formulas(path, cells, number)
        if _is_footer(cells):
            break  # the notes under the table: nothing after them is data
        code = _row_code(path, table, columns, cells, number, seen)
        name = cells[columns.name] if columns.name is not None else None
        quoted = "; ".join(
            f"{h}: {_published(c)}"
            for h, c in zip(headers, cells)
            if h is not None and c is not None
        )
        for measure, value, published in _measures(path, table, columns, cells, number, marks):
            records.append(
                [
                    source_file if source_file is not None else str(path),
                    number,
                    columns.level,
                    code,
                    None if name is None else str(name).strip(),
                    measure,
                    value,
                    published,
                    quoted,
                ]
            )
    if not records:
        raise InputError(path, "no data row under the header", row=table.header_row)
    return pd.DataFrame(records, columns=FIGURE_COLUMNS).astype({"value": "float64"})


def looks_like_insee_figure(path: Path) -> bool:
    """Is this file an INSEE figure download (a code column and a rate or count column)?

    Never raises: a file that cannot be read is not one (its own reader will say why).
    Palmarès exports have no code-of-EPCI/région/département column with a rate or count.
    """
    path = Path(path)
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        return False
    try:
        return _is_figure_header(reader(path).headers)
    except (InputError, OSError, ValueError):
        return False
