"""Property-based tests (hypothesis) of the palmarès reader on what users bring: whatever
bytes or table, `read_palmares` returns rows or raises `InputError` naming the file (and the row
when there is one), never another exception; it returns one row per data row given, numbered as
a spreadsheet shows it.

Every other reader, and random bytes and mutated files for this one, are fuzzed in
tests/test_reader_fuzz.py. The hypothesis profiles ("ci", the default, and "long", at least
10,000 cases per reader: ``PALMARES_FUZZ=long``) are registered in tests/fuzz_profiles.py.
Full end-to-end cases (nothing half-loaded, rows read = resolved + quarantined) are in
tests/test_ingest.py and tests/test_crash.py; here the readers are exercised directly so that
many cases run quickly.
"""

from __future__ import annotations

import csv
import io
import string

import pytest
from fuzz_profiles import (  # noqa: F401 (fuzz_census: autouse)
    breach,
    fuzz_census,
    outcome,
    read_back,
    refused,
    tried_first,
)
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from pipeline.build.sources.palmares import CSV_SEPARATORS, read_palmares
from pipeline.errors import InputError
from pipeline.paths import DEFAULT_ROOT

READER = "read_palmares"
HEADER_VARIANTS = {
    "edition": ["edition", "Année", "Édition", "Label", "annee"],
    "name": ["name", "Collectivité", "Commune", "Nom"],
    "departement": ["departement", "Département", "Dépt"],
    "arobases": ["arobases", "Nb @", "Arobases", "Note"],
    "kind": ["kind", "Catégorie", "Type"],
    "source_url": ["source_url"],
}
CELLS = st.one_of(
    st.text(alphabet=string.printable + "éèàçœÉ@–’ ", max_size=20),
    st.sampled_from(
        [
            "2024",
            "1998",
            "2099",
            "5",
            "6 @",
            "@@@",
            "mention",
            "0",
            "-1",
            "",
            "=1+1",
            '=HYPERLINK("http://x")',
            "Lille (59)",
            "La Madeleine",
            "59",
            "2A",
            "ville",
            " ",
            "<script>alert(1)</script>",
            "x" * 5000,
            "２０２４",
            "2024.0",
        ]
    ),
)


def read(path):
    return outcome(READER, read_palmares, path)


def check_rows(result, expected: list[int] | None) -> None:
    """One row per data row given (blank rows are not data rows), numbered as a spreadsheet
    shows it; `expected` None when the file does not hold exactly the cells written."""
    if refused(result) or expected is None:
        return
    got = [int(row) for row in result["source_row"]]
    breach(
        READER,
        "one row per data row, numbered as a spreadsheet shows it",
        got == expected,
        f"{got} != {expected}",
    )


@given(
    st.integers(min_value=0, max_value=100),
    st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16"]),
)
def test_truncated_and_re_encoded_real_files(tmp_path, cut_percent, encoding):
    text = (DEFAULT_ROOT / "data" / "raw" / "palmares" / "laureates.csv").read_text("utf-8")
    data = text.encode(encoding, errors="replace")
    path = tmp_path / "cut.csv"
    path.write_bytes(data[: len(data) * cut_percent // 100])
    result = read(path)
    if not refused(result):
        assert result["source_row"].is_unique


@st.composite
def tables(draw):
    """A table as users type them: header variants, columns missing, duplicated or shuffled,
    cells of any kind, duplicated rows, blank rows."""
    columns = draw(st.lists(st.sampled_from(list(HEADER_VARIANTS)), min_size=1, max_size=7))
    headers = [draw(st.sampled_from(HEADER_VARIANTS[column])) for column in columns]
    rows = draw(st.lists(st.lists(CELLS, min_size=len(headers), max_size=len(headers)), max_size=8))
    if rows and draw(st.booleans()):
        rows.append(list(rows[0]))  # a duplicated row
    if draw(st.integers(0, 3)) == 0:
        rows.insert(draw(st.integers(0, len(rows))), [""] * len(headers))  # a blank row
    return headers, rows


def expected_rows(rows: list[list[str]], first: int) -> list[int]:
    """Row numbers of the rows with a filled cell, the first data row being `first`."""
    return [
        number for number, row in enumerate(rows, start=first) if any(cell.strip() for cell in row)
    ]


def write_csv(path, headers, rows, separator, encoding) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=separator)
    writer.writerow(headers)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding, errors="replace"))
    return buffer.getvalue()


def write_xlsx(path, titles, headers, rows) -> list[list[str]]:
    """The workbook, and its data rows as stored (without the characters Excel refuses)."""
    book = Workbook()
    sheet = book.active
    for title in titles:
        sheet.append([title])
    sheet.append(headers)
    stored = [[ILLEGAL_CHARACTERS_RE.sub("", cell) for cell in row] for row in rows]
    for row in stored:  # "=1+1" is stored as a formula cell, as in a user's workbook
        sheet.append(row)
    book.save(path)
    return stored


@given(
    tables(),
    st.sampled_from([",", ";", "\t"]),
    st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]),
)
def test_hand_typed_csv_tables(tmp_path, table, separator, encoding):
    headers, rows = table
    path = tmp_path / "typed.csv"
    text = write_csv(path, headers, rows, separator, encoding)
    result = read(path)
    if refused(result):
        return
    assert result["edition"].dropna().between(1999, 2100).all()
    assert result["arobases"].dropna().between(0, 5).all()
    exact = read_back(path.read_bytes()) == text and not tried_first(
        separator, [headers, *rows], CSV_SEPARATORS
    )
    check_rows(result, expected_rows(rows, first=2) if exact else None)


@given(tables(), st.lists(st.sampled_from(["Palmarès 2024", "", "Villes Internet"]), max_size=2))
def test_hand_typed_workbooks_with_formula_cells(tmp_path, table, titles):
    headers, rows = table
    path = tmp_path / "typed.xlsx"
    stored = write_xlsx(path, titles, headers, rows)
    result = read(path)
    if refused(result):
        return
    assert not result["name"].astype(str).str.startswith("=").any()  # formulas never read as names
    check_rows(result, expected_rows(stored, first=len(titles) + 2))


@pytest.mark.parametrize(
    "cells, problem",
    [
        (["2031", "Lille", "59", "3"], "edition 2031"),
        (["1998", "Lille", "59", "3"], "1998"),
        (["2024", "Lille", "59", "6 @"], "6 @"),
        (
            ["2024", "Lille", "59", "=2+3"],
            "unknown @ level '=2+3'",
        ),  # text in a CSV, never evaluated
    ],
)
def test_out_of_range_values_name_the_row(tmp_path, cells, problem):
    path = tmp_path / "bad.csv"
    write_csv(path, ["Année", "Collectivité", "Département", "Nb @"], [cells], ";", "utf-8")
    with pytest.raises(InputError) as error:
        read_palmares(path)
    assert "row 2" in str(error.value) and problem.lower() in str(error.value).lower()
