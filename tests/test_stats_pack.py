"""`palmares stats`: the pack's files, sheets and headers, on the hand-made complete edition."""

from __future__ import annotations

import pandas as pd
from conftest import TINY_BUILD_INFO, TINY_SOURCES, palmares
from openpyxl import load_workbook
from test_edition_stats import hand_made_tables

from pipeline.build.warehouse import build_warehouse
from pipeline.report import stats_pack


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
    assert header[:4] == ["Niveau (0 = mention)", "Collectivités", "Niveau", "Total publié"]
    assert [cell.value for cell in sheet[6]][:3] == [5, 1, "5 @"]
    assert sheet["B6"].number_format == "#,##0"
    read_back = pd.read_excel(out / "statistiques_2019.xlsx", sheet_name="Population", header=4)
    assert read_back.set_index("Code").loc["labelled_communes_population", "2019"] == 260_790

    markdown = (out / "statistiques_2019.md").read_text("utf-8")
    assert "| 5 | 1 | 5 \\@ | 1 | complet |" in markdown  # texts escaped: "5 @" shows as written
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
