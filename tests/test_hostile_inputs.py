"""Property-based tests (hypothesis) over every reader: whatever bytes or table a user brings,
a reader returns rows or raises `InputError` naming the file (and the row when there is one),
never another exception; rows it returns are as many as the data rows it was given.

Full end-to-end cases (nothing half-loaded, rows read = resolved + quarantined) are in
tests/test_ingest.py and tests/test_crash.py; here the readers are exercised directly so that
many cases run quickly.
"""

from __future__ import annotations

import csv
import io
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from pipeline.config import DEFAULT_ROOT
from pipeline.errors import InputError
from pipeline.sources.insee import read_insee_figure
from pipeline.sources.palmares import read_palmares

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
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
    st.sampled_from(["2024", "1998", "2099", "5", "6 @", "@@@", "mention", "0", "-1", "", "=1+1",
                     "=HYPERLINK(\"http://x\")", "Lille (59)", "La Madeleine", "59", "2A", "ville"]),
)


def outcome(read, path):
    """Rows read, or the InputError; anything else fails the test with its traceback."""
    try:
        return read(path)
    except InputError as error:
        assert str(path) in str(error) or path.name in str(error)
        return error


@SETTINGS
@given(st.binary(max_size=2000), st.sampled_from([".csv", ".xlsx"]))
def test_random_bytes_are_refused_cleanly(tmp_path, data, suffix):
    path = tmp_path / f"random{suffix}"
    path.write_bytes(data)
    for read in (read_palmares, read_insee_figure):
        outcome(read, path)


@SETTINGS
@given(st.integers(min_value=0, max_value=100),
       st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16"]))
def test_truncated_and_re_encoded_real_files(tmp_path, cut_percent, encoding):
    text = (DEFAULT_ROOT / "data" / "raw" / "palmares" / "laureates.csv").read_text("utf-8")
    data = text.encode(encoding, errors="replace")
    path = tmp_path / "cut.csv"
    path.write_bytes(data[: len(data) * cut_percent // 100])
    result = outcome(read_palmares, path)
    if not isinstance(result, InputError):
        assert result["source_row"].is_unique


@st.composite
def tables(draw):
    """A table as users type them: header variants, columns missing, duplicated or shuffled,
    cells of any kind, duplicated rows."""
    columns = draw(st.lists(st.sampled_from(list(HEADER_VARIANTS)), min_size=1, max_size=7))
    headers = [draw(st.sampled_from(HEADER_VARIANTS[column])) for column in columns]
    rows = draw(st.lists(st.lists(CELLS, min_size=len(headers), max_size=len(headers)), max_size=8))
    if rows and draw(st.booleans()):
        rows.append(list(rows[0]))  # a duplicated row
    return headers, rows


def write_csv(path, headers, rows, separator, encoding):
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=separator)
    writer.writerow(headers)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding, errors="replace"))


def write_xlsx(path, headers, rows):
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:  # "=1+1" is stored as a formula cell, as in a user's workbook;
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", cell) for cell in row])  # Excel has no \x0c
    book.save(path)


@SETTINGS
@given(tables(), st.sampled_from([",", ";", "\t"]), st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
def test_hand_typed_csv_tables(tmp_path, table, separator, encoding):
    headers, rows = table
    path = tmp_path / "typed.csv"
    write_csv(path, headers, rows, separator, encoding)
    result = outcome(read_palmares, path)
    if not isinstance(result, InputError):
        non_empty = [row for row in rows if any(str(cell).strip() for cell in row)]
        assert len(result) <= len(non_empty)  # blank rows are skipped, none is invented
        assert result["edition"].dropna().between(1999, 2100).all()
        assert result["arobases"].dropna().between(0, 5).all()


@SETTINGS
@given(tables())
def test_hand_typed_workbooks_with_formula_cells(tmp_path, table):
    headers, rows = table
    path = tmp_path / "typed.xlsx"
    write_xlsx(path, headers, rows)
    result = outcome(read_palmares, path)
    if not isinstance(result, InputError):
        assert not result["name"].astype(str).str.startswith("=").any()  # formulas never read as names


@pytest.mark.parametrize("cells, problem", [
    (["2031", "Lille", "59", "3"], "edition 2031"),
    (["1998", "Lille", "59", "3"], "1998"),
    (["2024", "Lille", "59", "6 @"], "6 @"),
    (["2024", "Lille", "59", "=2+3"], "unknown @ level '=2+3'"),  # text in a CSV, never evaluated
])
def test_out_of_range_values_name_the_row(tmp_path, cells, problem):
    path = tmp_path / "bad.csv"
    write_csv(path, ["Année", "Collectivité", "Département", "Nb @"], [cells], ";", "utf-8")
    with pytest.raises(InputError) as error:
        read_palmares(path)
    assert "row 2" in str(error.value) and problem.lower() in str(error.value).lower()
