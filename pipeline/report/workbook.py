"""The XLSX of report tables, laid out for a person who opens it in a spreadsheet and prints it.

One sheet per table: the title (A1), the note (A2) and the source (A3) merged over the table's
width and wrapped; the French headers in row 5, frozen on screen and repeated on every printed
page; an Excel table (filter buttons) over the header and data rows; columns as wide as their
longest text, capped (a longer text wraps, its row made tall enough); numbers right-aligned
with thousands separators, texts left-aligned with an indent, so a count never touches the
text beside it; landscape A4, one page wide, "Page n sur N" in the footer.

Every text (collectivity names come from input files) is written as a plain string cell: a
value starting with "=" never becomes a formula, and one starting with "=", "+", "-" or "@" is
marked as text (quote prefix), so editing the cell does not turn it into one either.
"""

from __future__ import annotations

import re
import unicodedata
from math import ceil
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from pipeline.formatting import format_fr

#: The rows above each table: title, note, source, a blank row, then the headers.
TITLE_ROW, NOTE_ROW, SOURCE_ROW, HEADER_ROW = 1, 2, 3, 5
#: Column widths, in characters of the default font.
MIN_WIDTH, MAX_WIDTH = 8, 60
#: Characters added to a column's longest text: the indent on one side, air on the other.
PADDING = 3
#: A bold header is wider than the same text in the body font.
BOLD_WIDTH = 1.15
#: Points per line: 11-point body text, 13-point title.
LINE_POINTS, TITLE_LINE_POINTS = 15, 19
#: The workbook's default font: a font set without a name would fall back to another one.
FONT = "Calibri"
#: The rows above the table: row, text (frame.attrs key), font, points per line.
ABOVE_TABLE = (
    (TITLE_ROW, "title", Font(name=FONT, bold=True, size=13), TITLE_LINE_POINTS),
    (NOTE_ROW, "note", Font(name=FONT, italic=True), LINE_POINTS),
    (SOURCE_ROW, "source", Font(name=FONT, size=9, color="4D5866"), LINE_POINTS),
)
FORMULA_STARTS = ("=", "+", "-", "@")
NUMBER_FORMATS = {0: "#,##0", 1: "#,##0.0"}  # locale-neutral codes: French Excel shows 1 234,5
HEADER_FILL = PatternFill("solid", fgColor="EEF2F7")
HEADER_BORDER = Border(bottom=Side(style="thin", color="7F8C9D"))
FOOTER_PAGE = "Page &P sur &N"


def write_xlsx(tables: dict[str, pd.DataFrame], path: Path, sheet_names: dict[str, str]) -> None:
    """One sheet per table (named from `sheet_names`, else the table's key), saved to `path`."""
    book = Workbook()
    book.remove(book.active)
    table_names: set[str] = set()
    for name, frame in tables.items():
        sheet = book.create_sheet(sheet_names.get(name, name)[:31])
        _lay_out(sheet, frame, name, _table_name(sheet.title, table_names))
    book.save(path)


def _lay_out(sheet: Worksheet, frame: pd.DataFrame, name: str, table_name: str) -> None:
    """Title, note and source, then the table with its widths, alignments and page setup."""
    numeric = [_is_numeric(frame[column]) for column in frame.columns]
    decimals = [1 if str(column).endswith("_pct") else 0 for column in frame.columns]
    headers = _headers(frame)
    rows = [[_cell_value(value) for value in record] for record in frame.itertuples(index=False)]
    widths = [
        _column_width(header, [_shown(row[i], is_number, places) for row in rows])
        for i, (header, is_number, places) in enumerate(zip(headers, numeric, decimals))
    ]
    for position, width in enumerate(widths, 1):
        sheet.column_dimensions[get_column_letter(position)].width = width
    last = get_column_letter(len(widths))
    table_width = sum(widths)

    for row, key, font, line_points in ABOVE_TABLE:
        text = str(frame.attrs.get(key, name if key == "title" else ""))
        cell = write_cell(sheet, row, 1, text)
        cell.font = font
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if len(widths) > 1:
            sheet.merge_cells(f"A{row}:{last}{row}")
        sheet.row_dimensions[row].height = line_points * line_count(text, table_width)

    header_lines = 1
    for position, (header, is_number, width) in enumerate(zip(headers, numeric, widths), 1):
        cell = write_cell(sheet, HEADER_ROW, position, header)
        cell.font = Font(name=FONT, bold=True)
        cell.fill = HEADER_FILL
        cell.border = HEADER_BORDER
        cell.alignment = _alignment(is_number, vertical="center")
        header_lines = max(header_lines, line_count(header, width / BOLD_WIDTH))
    sheet.row_dimensions[HEADER_ROW].height = LINE_POINTS * header_lines + 4

    for offset, values in enumerate(rows, 1):
        row = HEADER_ROW + offset
        lines = 1
        for position, (value, is_number, places, width) in enumerate(
            zip(values, numeric, decimals, widths), 1
        ):
            cell = write_cell(sheet, row, position, value)
            cell.alignment = _alignment(is_number, vertical="top")
            if is_number:
                cell.number_format = NUMBER_FORMATS[places]
            elif value is not None:
                lines = max(lines, line_count(str(value), width))
        if lines > 1:
            sheet.row_dimensions[row].height = LINE_POINTS * lines

    # A table needs a row under its header: an empty table keeps one blank row.
    bottom = HEADER_ROW + max(len(rows), 1)
    table = Table(displayName=table_name, ref=f"A{HEADER_ROW}:{last}{bottom}")
    table.tableStyleInfo = TableStyleInfo(name="TableStyleLight1", showRowStripes=True)
    sheet.add_table(table)
    sheet.freeze_panes = sheet.cell(HEADER_ROW + 1, 1)
    _page_setup(sheet)


def _page_setup(sheet: Worksheet) -> None:
    """Landscape A4, one page wide and as many tall as needed, the header row on each page."""
    sheet.page_setup.orientation = sheet.ORIENTATION_LANDSCAPE
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    sheet.page_margins = PageMargins(
        left=0.5, right=0.5, top=0.6, bottom=0.7, header=0.3, footer=0.3
    )
    sheet.oddFooter.left.text = "&A"  # the sheet's name
    sheet.oddFooter.center.text = FOOTER_PAGE


def write_cell(sheet: Worksheet, row: int, column: int, value):
    """A cell holding `value` as it is: a text stays a text, whatever it starts with."""
    cell = sheet.cell(row, column)
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)  # control characters XML refuses
        cell.value = value
        cell.data_type = "s"  # openpyxl takes "=…" for a formula
        cell.quotePrefix = value.startswith(FORMULA_STARTS)
    else:
        cell.value = value
    return cell


def _alignment(is_number: bool, vertical: str) -> Alignment:
    """Numbers to the right, texts to the left, both one indent away from the cell's edge."""
    return Alignment(
        horizontal="right" if is_number else "left",
        vertical=vertical,
        indent=1,
        wrap_text=not is_number,
    )


def _headers(frame: pd.DataFrame) -> list[str]:
    """French headers as texts, made unique: Excel refuses a table with two equal headers."""
    french = frame.attrs.get("headers", {})
    headers: list[str] = []
    for position, column in enumerate(frame.columns, 1):
        header = str(french.get(column, column)).strip() or f"Colonne {position}"
        unique, repeat = header, 2
        while unique.casefold() in {taken.casefold() for taken in headers}:
            unique, repeat = f"{header} ({repeat})", repeat + 1
        headers.append(unique)
    return headers


def _table_name(sheet_title: str, taken: set[str]) -> str:
    """A valid, unique Excel table name from the sheet's: ASCII letters, digits, underscores,
    prefixed so it never reads as a cell reference ("TEN1")."""
    ascii_title = unicodedata.normalize("NFKD", sheet_title).encode("ascii", "ignore").decode()
    base = "Tableau_" + (re.sub(r"[^A-Za-z0-9]+", "_", ascii_title).strip("_") or "feuille")
    name, repeat = base, 2
    while name.casefold() in taken:
        name, repeat = f"{base}_{repeat}", repeat + 1
    taken.add(name.casefold())
    return name


def _column_width(header: str, texts: list[str]) -> float:
    """Wide enough for the header (bold) and the longest text, within MIN_WIDTH..MAX_WIDTH."""
    longest = max([len(header) * BOLD_WIDTH] + [len(line) for t in texts for line in t.split("\n")])
    return round(min(max(longest + PADDING, MIN_WIDTH), MAX_WIDTH), 1)


def line_count(text: str, width: float) -> int:
    """Lines a text takes once wrapped in a cell `width` characters wide (words kept whole,
    a word longer than the line broken); a text the width was measured on takes one. Counted
    in characters of the default font, so a little high for most texts: a row a little too
    tall is better than a wrapped text cut off."""
    if all(len(line) + PADDING <= width for line in text.split("\n")):
        return text.count("\n") + 1
    room = max(1, int(width - PADDING))
    lines = 0
    for paragraph in text.split("\n"):
        lines += 1
        used = 0
        for word in paragraph.split():
            if used and used + 1 + len(word) > room:
                lines += 1
                used = 0
            used += (1 if used else 0) + len(word)
            if used > room:
                lines += ceil(used / room) - 1
                used = used % room
    return lines


def _shown(value, is_number: bool, decimals: int) -> str:
    """The text a reader sees in the cell, for its width."""
    if value is None:
        return ""
    return format_fr(value, decimals) if is_number else str(value)


def _is_numeric(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


def _cell_value(value):
    """What openpyxl writes: numpy scalars as Python ones, a missing value as an empty cell."""
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):  # a list or an array: not a missing value
        pass
    return value.item() if hasattr(value, "item") else value
