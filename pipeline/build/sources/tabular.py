"""What every reader of users' tables shares: decoding, CSV splitting, header finding, XLSX cells.

Palmarès exports and INSEE figure downloads come as CSV or XLSX files saved by hand, with title
rows above the table, an unknown separator and an unknown encoding. Each reader brings its own
idea of a header row and its own advice to the user; the ways of reading the file are here, so
that both formats are read, and refused, alike. Rows are (row number as an editor shows it,
cells); a CSV cell is stripped text or None.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import InputError

Rows = list[tuple[int, list]]

#: Spaces found in published text and numbers: U+00A0, U+202F (narrow), U+2009, U+2007...
SPACES = re.compile(r"[\s\u00a0\u202f\u2009\u2007]")


@dataclass(frozen=True)
class Formula:
    """An XLSX cell holding a formula: never read, since its cached value may be stale."""

    coordinate: str
    text: str


def fold(text: str) -> str:
    """Text without accents or case, typographic apostrophes made straight."""
    text = unicodedata.normalize("NFKD", text.replace("’", "'"))
    return "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()


def fold_words(text) -> str:
    """`fold` with en dashes made plain and every kind of space single: INSEE's wording."""
    return " ".join(SPACES.sub(" ", fold(str(text).replace("–", "-"))).split())


def decode(path: Path, *, kind: str = "text file", advice: str = "") -> str:
    """UTF-8 (with or without BOM) tried strictly first, then Windows-1252 (Excel's "CSV").

    `kind` names what the binary-data refusal says the file is not; `advice` ends both refusals.
    """
    tail = f": {advice}" if advice else ""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(path, f"cannot read the file ({exc.strerror or exc})") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise InputError(path, f"not a text file in UTF-8 or Windows-1252{tail}") from None
    if any(ch < " " and ch not in "\t\r\n" for ch in text):
        raise InputError(path, f"not a {kind} (it holds binary data){tail}")
    return text


def parse_csv(path: Path, text: str, separator: str) -> Rows:
    """Split CSV text; the row number counts records, as a spreadsheet shows them."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    rows = []
    try:
        for number, cells in enumerate(reader, start=1):
            rows.append((number, [cell.strip() or None for cell in cells]))
    except csv.Error as exc:
        raise InputError(path, f"malformed CSV ({exc})", row=len(rows) + 1) from None
    return rows


def pick_split(
    splits: Iterable[Rows],
    find: Callable[[Rows], int | None],
    width: Callable[[Rows], int],
) -> tuple[Rows, int | None]:
    """(rows, header index) of the first split in which `find` recognises a header row.

    Trying each separator in a fixed order is deterministic, where csv.Sniffer guesses from
    character frequencies and can be fooled by commas inside quoted French text. With no
    header anywhere, the split `width` ranks widest is kept, so the error lists the headers.
    """
    tried = []
    for rows in splits:
        if (found := find(rows)) is not None:
            return rows, found
        tried.append(rows)
    return max(tried, key=width), None


def find_header(rows: Rows, is_header: Callable[[list], bool], search_rows: int) -> int | None:
    """Index of the first of the first `search_rows` rows that `is_header` accepts."""
    return next(
        (index for index, (_, cells) in enumerate(rows[:search_rows]) if is_header(cells)), None
    )


def first_filled(rows: Rows) -> int | None:
    """Index of the first row with a cell: the header to report when none is recognised."""
    return next(
        (index for index, (_, cells) in enumerate(rows) if any(c is not None for c in cells)),
        None,
    )


def xlsx_rows(
    path: Path, value: Callable[[object], object], *, invalid_advice: str, damaged_advice: str = ""
) -> Rows:
    """The first sheet's cells: formula cells as `Formula`, the others through `value`."""
    return xlsx_sheets(
        path, value, invalid_advice=invalid_advice, damaged_advice=damaged_advice, first_only=True
    )[0][1]


def xlsx_sheets(
    path: Path,
    value: Callable[[object], object],
    *,
    invalid_advice: str,
    damaged_advice: str = "",
    first_only: bool = False,
) -> list[tuple[str, Rows]]:
    """(name, rows) of every worksheet, in the workbook's order (or of the first only)."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    def cell_value(cell):
        if cell.data_type == "f":
            return Formula(cell.coordinate, str(getattr(cell.value, "text", cell.value)))
        return value(cell.value)

    tail = f": {damaged_advice}" if damaged_advice else ""
    try:
        workbook = load_workbook(path, data_only=False)
        if not workbook.worksheets:
            raise InputError(path, f"damaged Excel workbook (no worksheet){tail}")
        sheets = []
        for sheet in workbook.worksheets[:1] if first_only else workbook.worksheets:
            rows = []
            for number, cells in enumerate(sheet.iter_rows(), start=1):
                rows.append((number, [cell_value(cell) for cell in cells]))
            sheets.append((sheet.title, rows))
    except OSError as exc:
        raise InputError(path, f"cannot read the file ({exc.strerror or exc})") from None
    except (zipfile.BadZipFile, InvalidFileException):
        raise InputError(path, f"not a valid Excel workbook (.xlsx): {invalid_advice}") from None
    except (KeyError, IndexError, ValueError, SyntaxError, zlib.error) as exc:
        # What openpyxl raises on a damaged workbook: missing parts, cut or invalid XML.
        raise InputError(
            path, f"damaged Excel workbook ({type(exc).__name__}: {exc}){tail}"
        ) from None
    return sheets
