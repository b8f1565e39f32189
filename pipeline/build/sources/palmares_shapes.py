"""The shape of a palmarès sheet, and its rows as canonical records.

Three shapes are read, each to the same records (one per edition × collectivity):

- `LONG`: one row per edition × collectivity, the year in a column ("Année", "Édition");
- `WIDE`: one row per collectivity, one column per edition ("2015", "Label 2015", "2015 (@)")
  holding its level; an empty cell is no label that year;
- `ONE_EDITION`: one edition's list, its year given by the sheet's name ("2019", "Palmarès
  2019") or a title row above the header ("Palmarès 2019").

A sheet that could be read in two ways (year columns and an edition column; a year column
and a level column; the sheet's name and a title saying two years; an edition column
contradicting the sheet's year) is refused, naming both readings: the reader never guesses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl.utils import get_column_letter

from pipeline.build.sources import palmares_values as values
from pipeline.build.sources.palmares_headers import (
    HEADER_SPELLINGS,
    Columns,
    find_header,
    map_columns,
)
from pipeline.build.sources.palmares_rows import (
    EXAMPLE,
    NO_EDITION,
    Skipped,
    is_example,
    set_aside,
    titles,
)
from pipeline.build.sources.tabular import Formula, Rows, fold
from pipeline.errors import InputError

LONG, WIDE, ONE_EDITION = "long", "wide", "one edition"
#: The shapes as the reading names them (French, for the association's staff).
SHAPE_NAMES = {
    LONG: "tableau long (une ligne par édition et collectivité, l'année dans une colonne)",
    WIDE: "tableau large (une ligne par collectivité, une colonne par édition)",
    ONE_EDITION: "liste d'une édition (l'année hors du tableau)",
}
#: Columns a table must have, besides where its years come from.
REQUIRED = ("name", "edition", "arobases")
#: Canonical columns each record gives, after source_file, source_row.
RECORD_COLUMNS = (
    "edition",
    "published_name",
    "name",
    "departement",
    "kind",
    "arobases",
    "distinction",
    "code",
    "source_url",
    "quote",
    "note",
)
#: A sheet name or title giving one edition: "2019", "Palmarès 2019", "Label 2019".
_SHEET_YEAR = re.compile(r"(?:(?:palmares|edition|label|labels|millesime|annee)\s*)?(\d{4})")
_TITLE_YEAR = re.compile(
    r"(?:\b(?:palmares|edition|label|labels|millesime|laureats?)\b\D{0,20}?)(\d{4})\b|^(\d{4})$"
)


@dataclass
class SheetReading:
    """What was understood of one sheet (of a CSV: its only table)."""

    sheet: str | None  # None for a CSV file
    shape: str | None = None  # None: no palmarès table in it
    header_row: int | None = None
    #: (column letter, header, field, or the edition of a year column)
    columns: list[tuple[str, str, str]] = field(default_factory=list)
    year_from: str | None = None  # where the editions come from, in French
    #: (row, column letter of a wide table's year column or None, record values)
    records: list[tuple[int, str | None, list]] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    why_not_read: str | None = None


def read_sheet(path: Path, sheet: str | None, rows: Rows) -> SheetReading:
    """The reading of one sheet: its shape, columns and records; `InputError` if unreadable.

    A sheet without any palmarès header is returned unread (`why_not_read`), for the caller
    to report or, when no sheet of the file holds one, to refuse with `missing_columns`.
    """
    reading = SheetReading(sheet)
    header = find_header(rows)
    if header is None:
        reading.why_not_read = (
            "aucun en-tête de palmarès (une colonne de collectivité et une d'édition, de niveau "
            "ou d'années)"
            if any(any(cell is not None for cell in cells) for _, cells in rows)
            else "feuille vide"
        )
        return reading
    header_row, headers = rows[header]
    reading.header_row = header_row
    data, reading.skipped = set_aside(rows[header + 1 :])
    reading.skipped[:0] = titles(rows, header)

    def column_values(index: int) -> list:
        return [cells[index] if index < len(cells) else None for _, cells in data]

    columns = map_columns(path, header_row, headers, column_values)
    context = _context_years(sheet, rows[:header])
    reading.shape, reading.year_from = _shape(path, header_row, headers, columns, context, data)
    reading.columns = _described_columns(headers, columns)
    kept = []
    for number, cells in data:
        if "note" in columns.fields and is_example(path, number, cells, headers, columns.fields):
            reading.skipped.append(Skipped(number, EXAMPLE))
        else:
            kept.append((number, cells))
    edition = context[0][0] if reading.shape == ONE_EDITION else None
    for number, cells in kept:
        if reading.shape == WIDE:
            found = [(index, _cell(path, number, cells, index)) for index in columns.years]
            found = [(index, level) for index, level in found if level is not None]
            if not found:
                reading.skipped.append(Skipped(number, NO_EDITION))
            for index, level in found:
                year = columns.years[index]
                record = _record(path, number, cells, columns, year, level, headers[index])
                reading.records.append((number, get_column_letter(index + 1), record))
        else:
            level = _cell(path, number, cells, columns.fields["arobases"])
            year = edition or _cell(path, number, cells, columns.fields["edition"])
            record = _record(path, number, cells, columns, year, level)
            reading.records.append((number, None, record))
    reading.skipped.sort(key=lambda skipped: skipped.row)
    return reading


def missing_columns(path: Path, sheets: list[Rows]) -> InputError:
    """The refusal of a file in which no sheet has a palmarès header: what it lacks, and the
    headers of its first filled row (or that it is empty)."""
    filled = ((n, c) for rows in sheets for n, c in rows if any(cell is not None for cell in c))
    first = next(filled, None)
    if first is None:
        return InputError(path, "the file is empty")
    return _missing(path, first[0], first[1], REQUIRED)


def _missing(path: Path, header_row: int, headers: list, missing) -> InputError:
    found = ", ".join(repr(cell) for cell in headers if cell is not None) or "none"
    wanted = "; ".join(
        f"{name} (headers accepted: {', '.join(HEADER_SPELLINGS[name])})" for name in missing
    )
    tail = (
        " (or the year in the sheet's name or a title row such as 'Palmarès 2019', or one "
        "column per year such as '2015', 'Label 2015')"
        if "edition" in missing
        else ""
    )
    return InputError(
        path, f"missing required column(s): {wanted}{tail}. Headers found: {found}", row=header_row
    )


def _context_years(sheet: str | None, above: Rows) -> list[tuple[str, str]]:
    """(year, where it was read) from the sheet's name and the title rows above the header."""
    found = []
    if sheet is not None and (match := _SHEET_YEAR.fullmatch(" ".join(fold(sheet).split()))):
        found.append((match.group(1), f"nom de la feuille « {sheet} »"))
    for number, cells in above:
        text = " ".join(fold(str(cell)) for cell in cells if cell is not None)
        for match in _TITLE_YEAR.finditer(" ".join(text.split())):
            found.append((match.group(1) or match.group(2), f"titre ligne {number}"))
    return found


def _shape(
    path: Path, header_row: int, headers: list, columns: Columns, context, data: Rows
) -> tuple[str, str]:
    """(shape, where the editions come from) of a sheet, refusing two readings."""
    fields = columns.fields
    years = ", ".join(repr(headers[index]) for index in columns.years)
    shown = ", ".join(f"« {headers[index]} »" for index in columns.years)
    if columns.years:
        for other, what in (("edition", "editions"), ("arobases", "levels")):
            if other in fields:
                raise InputError(
                    path,
                    f"could be read two ways: {what} in column {headers[fields[other]]!r}, "
                    f"or one column per edition ({years}): keep one",
                    row=header_row,
                )
        if "name" not in fields:
            raise _missing(path, header_row, headers, ["name"])
        return WIDE, f"en-têtes des colonnes {shown}"
    missing = [name for name in REQUIRED if name not in fields]
    if "edition" in missing and context:
        missing.remove("edition")
    if missing:
        raise _missing(path, header_row, headers, missing)
    if "edition" not in fields:
        if len(dict(context)) > 1:
            readings = " or ".join(f"edition {year} ({where})" for year, where in context)
            raise InputError(path, f"could be read two ways: {readings}: keep one year")
        return ONE_EDITION, f"édition {context[0][0]}, du {context[0][1]}"
    _check_context(path, headers, fields["edition"], context, data)
    return LONG, f"colonne « {headers[fields['edition']]} »"


def _check_context(path: Path, headers: list, index: int, context, data: Rows) -> None:
    """A long table under a sheet name or title giving a year: its editions must be that year."""
    for number, cells in data:
        cell = cells[index] if index < len(cells) else None
        if not isinstance(cell, str) or not values.is_year(cell):
            continue
        for year, where in context:
            if cell[:4] != year:
                raise InputError(
                    path,
                    f"could be read two ways: edition {cell} (column {headers[index]!r}) or "
                    f"edition {year} ({where}): keep one",
                    row=number,
                )


def _described_columns(headers: list, columns: Columns) -> list[tuple[str, str, str]]:
    named = {index: name for name, index in columns.fields.items()}
    described = []
    for index, header in enumerate(headers):
        if header is None:
            continue
        if index in columns.years:
            what = f"niveau de l'édition {columns.years[index]}"
        else:
            what = named.get(index)
        described.append((get_column_letter(index + 1), str(header), what))
    return described


def _cell(path: Path, number: int, cells: list, index: int | None):
    value = cells[index] if index is not None and index < len(cells) else None
    if isinstance(value, Formula):
        raise InputError(
            path,
            f"cell {value.coordinate} holds a formula ({value.text}); "
            "formulas are not read: replace them by their values",
            row=number,
        )
    return value


def _record(
    path: Path, number: int, cells: list, columns: Columns, year, level, year_header=None
) -> list:
    """One laureate → the values of `RECORD_COLUMNS`."""

    def cell(name: str):
        return _cell(path, number, cells, columns.fields.get(name))

    published = cell("name")
    if published is None:
        raise InputError(path, "no collectivity name", row=number)
    name, suffix_departement = values.split_departement(published)
    try:
        edition = values.edition(year)
    except ValueError as exc:
        where = f" (column {year_header!r})" if year_header is not None else ""
        raise InputError(path, f"{exc}{where}", row=number) from None
    try:
        arobases = values.level(level)
    except ValueError as exc:
        where = f" in column {year_header!r}" if year_header is not None else ""
        raise InputError(path, f"{exc}{where}", row=number) from None
    try:
        return [
            edition,
            published,
            name,
            cell("departement") or suffix_departement,
            values.kind(cell("kind")),
            arobases,
            cell("distinction"),
            cell("code"),
            cell("source_url"),
            cell("quote"),
            cell("note"),
        ]
    except ValueError as exc:
        raise InputError(path, str(exc), row=number) from None
