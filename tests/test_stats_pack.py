"""`palmares stats`: the pack's files, sheets and headers, on the hand-made complete edition;
the workbook's layout for a person who opens and prints it; input text kept as plain text."""

from __future__ import annotations

import re
import zipfile

import duckdb
import pandas as pd
import pytest
from conftest import TINY_BUILD_INFO, TINY_SOURCES, palmares
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from test_edition_stats import BASSE_TERRE, MADELEINE, hand_made_tables

from pipeline.build.warehouse import build_warehouse
from pipeline.formatting import format_fr
from pipeline.report import stats_pack, workbook


def test_the_pack_has_every_format_with_documented_sheets_and_headers(tmp_paths):
    build_warehouse(tmp_paths, hand_made_tables(), TINY_SOURCES, TINY_BUILD_INFO)
    out = tmp_paths.root / "pack"
    done = palmares(tmp_paths, "stats", "--edition", "2019", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "the PDF has no maps" in done.stdout  # no geometry cache in this root
    levels = pd.read_csv(out / "levels.csv")
    assert list(levels.columns[:2]) == ["level", "count"]
    assert levels.set_index("level")["count"].to_dict() == {5: 1, 4: 0, 3: 0, 2: 1, 1: 1}
    assert {f.name for f in out.glob("*.csv")} == {f"{name}.csv" for name in stats_pack.SHEETS}

    book = load_workbook(out / "statistiques_2019.xlsx")
    assert book.sheetnames == list(stats_pack.SHEETS.values())
    sheet = book["Niveaux"]
    assert sheet["A1"].value == "Lauréats par niveau, édition 2019"
    assert sheet["A3"].value.startswith("Sources :")
    header = [cell.value for cell in sheet[5]]
    # people read the French level, not its code (kept in levels.csv)
    assert header[:4] == ["Niveau", "Collectivités", "Total publié", "Statut"]
    assert [cell.value for cell in sheet[6]][:3] == ["5 @", 1, 1]
    assert sheet["B6"].number_format == "#,##0"
    read_back = pd.read_excel(out / "statistiques_2019.xlsx", sheet_name="Population", header=4)
    assert "Code" not in read_back.columns
    inhabitants = read_back.set_index("Mesure").loc["Habitants des communes labellisées", "2019"]
    assert inhabitants == 260_790

    markdown = (out / "statistiques_2019.md").read_text("utf-8")
    assert "| 5 \\@ | 1 | 1 | complet |" in markdown  # texts escaped: "5 @" shows as written
    assert "260\u202f790" in markdown  # French thousands separator
    assert (out / "statistiques_2019.pdf").read_bytes().startswith(b"%PDF")


def test_a_second_pack_replaces_the_first_whole_and_bad_requests_are_refused(tmp_paths):
    build_warehouse(tmp_paths, hand_made_tables(), TINY_SOURCES, TINY_BUILD_INFO)
    out = tmp_paths.root / "pack"
    assert (
        palmares(
            tmp_paths, "stats", "--edition", "2019", "--out", str(out), "--format", "csv,md"
        ).returncode
        == 0
    )
    assert (
        palmares(
            tmp_paths, "stats", "--edition", "2018", "--out", str(out), "--format", "xlsx"
        ).returncode
        == 0
    )
    assert [f.name for f in out.iterdir()] == ["statistiques_2018.xlsx"]
    unknown = palmares(tmp_paths, "stats", "--edition", "2010", "--out", str(out))
    assert unknown.returncode == 2 and "edition 2010 is not in the editions table" in unknown.stderr
    wrong = palmares(tmp_paths, "stats", "--edition", "2019", "--out", str(out), "--format", "docx")
    assert wrong.returncode == 2 and "unknown format(s) ['docx']" in wrong.stderr
    assert [f.name for f in out.iterdir()] == ["statistiques_2018.xlsx"]  # untouched


HOSTILE_NAME = '=HYPERLINK("http://x","y")'


@pytest.fixture
def hostile_pack(tmp_paths):
    """The hand-made complete edition's workbook, Basse-Terre and La Madeleine renamed in the
    reference as hostile input text, La Madeleine's mention made to start with "@"."""
    tables = hand_made_tables()
    communes = tables["commune"]
    communes.loc[communes["commune_code"] == BASSE_TERRE, "name"] = HOSTILE_NAME
    communes.loc[communes["commune_code"] == MADELEINE, "name"] = "<b>x</b>"
    laureates = tables["laureates"]
    laureates.loc[laureates["distinction"].notna(), "distinction"] = "@mention"
    build_warehouse(tmp_paths, tables, TINY_SOURCES, TINY_BUILD_INFO)
    with duckdb.connect(str(tmp_paths.warehouse), read_only=True) as con:
        [path] = stats_pack.write_pack(con, 2019, tmp_paths.root / "pack", ["xlsx"])
    return path


def shown(cell) -> str:
    """The text a reader sees in a cell (French numbers as in the pack's Markdown)."""
    if isinstance(cell.value, int | float):
        return format_fr(cell.value, 1 if cell.number_format == "#,##0.0" else 0)
    return "" if cell.value is None else str(cell.value)


def test_every_sheet_reads_on_screen_and_prints_one_page_wide(hostile_pack):
    book = load_workbook(hostile_pack)
    table_names = []
    for sheet in book:
        header = [cell.value for cell in sheet[workbook.HEADER_ROW]]
        last = get_column_letter(len(header))
        assert all(isinstance(text, str) and text for text in header), sheet.title

        widths = [
            sheet.column_dimensions[get_column_letter(i)].width for i in range(1, 1 + len(header))
        ]
        for position, width in enumerate(widths, 1):
            column = [sheet.cell(row, position) for row in range(6, sheet.max_row + 1)]
            longest = max([len(header[position - 1])] + [len(shown(cell)) for cell in column])
            assert min(longest + 1, workbook.MAX_WIDTH) <= width <= workbook.MAX_WIDTH
            fit = max(longest * workbook.BOLD_WIDTH + workbook.PADDING, workbook.MIN_WIDTH)
            assert width <= round(fit, 1)  # not wider than its longest text asks

        for row in (1, 2, 3):  # title, note, source: merged over the table, wrapped
            assert f"A{row}:{last}{row}" in {str(cells) for cells in sheet.merged_cells.ranges}
            assert sheet.cell(row, 1).alignment.wrap_text
        note = sheet["A2"].value
        assert sheet.row_dimensions[2].height >= 15 * len(note) / sum(widths)

        for row in sheet.iter_rows(min_row=6):  # a number never touches the text beside it
            for cell in row:
                number = cell.number_format in ("#,##0", "#,##0.0")  # a number column
                assert number or not isinstance(cell.value, int | float)
                assert cell.alignment.horizontal == ("right" if number else "left")
                assert cell.alignment.indent >= 1

        assert sheet.freeze_panes == "A6"
        [(name, ref)] = sheet.tables.items()
        assert ref == f"A5:{last}{max(sheet.max_row, 6)}"
        assert sheet.tables[name].autoFilter.ref == ref  # the filter buttons
        assert re.fullmatch(r"Tableau_[A-Za-z0-9_]+", name)
        table_names.append(name)

        setup = sheet.page_setup
        assert (setup.orientation, setup.fitToWidth, setup.fitToHeight) == ("landscape", 1, 0)
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert sheet.print_title_rows == "$5:$5"
        assert sheet.oddFooter.center.text == "Page &P sur &N"
    assert len(set(table_names)) == len(book.sheetnames)
    assert book["Niveaux"]["A6"].value == "5 @" and book["Niveaux"]["B6"].value == 1


def test_input_texts_stay_plain_strings_never_formulas(hostile_pack):
    book = load_workbook(hostile_pack)
    cells = {
        cell.value: cell
        for sheet in (book["Transitions"], book["Mentions"])
        for row in sheet.iter_rows(min_row=6)
        for cell in row
    }
    for text in (HOSTILE_NAME, "<b>x</b>", "@mention"):
        assert cells[text].data_type == "s"
        assert cells[text].quotePrefix == text.startswith(("=", "@"))  # editing keeps it text
    with zipfile.ZipFile(hostile_pack) as archive:
        sheets = [name for name in archive.namelist() if name.startswith("xl/worksheets/")]
        assert sheets and not any(b"<f>" in archive.read(name) for name in sheets)


def test_long_texts_wrap_and_tables_get_valid_unique_names(tmp_path):
    names = "Saint-Remy-en-Bouzemont-Saint-Genest-et-Isson, " * 4  # a long list of names
    frame = pd.DataFrame({"name": [names.strip(", "), "-1 \x07 bell"], "count": [3, 1_234_567]})
    frame.attrs = {"title": "Titre", "headers": {"name": "Nom", "count": "Nom"}}
    empty = pd.DataFrame({"name": pd.Series(dtype=str)})
    path = tmp_path / "tables.xlsx"
    stats_pack.write_xlsx({"Régions": frame, "Regions": empty}, path)

    book = load_workbook(path)
    sheet = book["Régions"]
    assert [cell.value for cell in sheet[5]] == ["Nom", "Nom (2)"]  # Excel wants unique headers
    assert sheet.column_dimensions["A"].width == workbook.MAX_WIDTH
    assert sheet["A6"].alignment.wrap_text and sheet.row_dimensions[6].height >= 3 * 15
    assert (
        sheet["B7"].value == 1_234_567 and sheet.column_dimensions["B"].width >= 10
    )  # "1 234 567"
    assert sheet["A7"].value == "-1 \ufffd bell" and sheet["A7"].quotePrefix
    assert sheet.row_dimensions[7].height is None  # one line: the spreadsheet's own height
    assert [ref for _, ref in sheet.tables.items()] == ["A5:B7"]
    assert book["Regions"]["A1"].value == "Regions"  # no title: the table's name
    assert list(book["Regions"].tables.items()) == [("Tableau_Regions_2", "A5:A6")]
    assert list(sheet.tables) == ["Tableau_Regions"]
