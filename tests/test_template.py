"""`palmares template`: the data-entry workbook offers what the palmarès reader reads, its
example row is skipped (and refused once changed), and a copy filled in as a person would
fill it ingests with every row resolved or set aside with its reason.

Filled rows are real rows of data/raw/palmares/laureates.csv, plus three rows marked as test
rows in their Remarque (an unknown name, a wrong département, a name without its département).
"""

from __future__ import annotations

import csv
import datetime as dt

import duckdb
import pytest
from conftest import palmares, project_copy, raw_records
from openpyxl import load_workbook

from pipeline.build import template
from pipeline.build.sources.editions import YEARS_WITHOUT_EDITION
from pipeline.build.sources.palmares import (
    HEADER_SPELLINGS,
    KIND_SPELLINGS,
    TEMPLATE_EXAMPLE,
    _edition,
    _kind,
    _level,
    read_palmares,
)
from pipeline.cli import main
from pipeline.errors import InputError

EXAMPLE_ROW = 2


@pytest.fixture(scope="module")
def workbook_path(tmp_path_factory, reference):
    path = tmp_path_factory.mktemp("template") / "modele.xlsx"
    template.write_template(path, reference)
    return path


def headers(sheet) -> dict[str, int]:
    """Header → column number of the data sheet."""
    return {cell.value: cell.column for cell in sheet[1] if cell.value}


def fill(path, rows: list[dict], out):
    """Write `rows` (header → value) under the example, as a person types them, and save."""
    book = load_workbook(path)
    sheet = book.worksheets[0]
    columns = headers(sheet)
    for offset, row in enumerate(rows):
        for header, value in row.items():
            sheet.cell(EXAMPLE_ROW + 1 + offset, columns[header], value)
    book.save(out)
    return out


def list_values(book, column_header: str) -> list:
    """The values of the drop-down list of a data column, through its validation's name."""
    sheet = book.worksheets[0]
    letter = sheet.cell(1, headers(sheet)[column_header]).column_letter
    (validation,) = [
        v for v in sheet.data_validations.dataValidation if str(v.sqref).startswith(letter)
    ]
    assert str(validation.sqref) == f"{letter}{EXAMPLE_ROW}:{letter}{template.LAST_ROW}"
    assert validation.type == "list" and validation.errorStyle == "stop"
    ((title, cells),) = book.defined_names[validation.formula1.lstrip("=")].destinations
    return [cell.value for row in book[title][cells] for cell in row]


def test_every_column_the_reader_reads_has_a_header_it_accepts(workbook_path, tmp_path):
    book = load_workbook(workbook_path)
    assert book.sheetnames[0] == template.DATA_SHEET  # where a person looks first
    assert {column.key for column in template.COLUMNS} == set(HEADER_SPELLINGS)
    values = {
        "Édition": 2024,
        "Collectivité": "Commune de test",
        "Département": "59",
        "Code": "59350",
        "Catégorie": "Ville",
        "Niveau": "3 @",
        "Distinction": "distinction de test",
        "Source": "https://exemple.test/source",
        "Citation": "citation de test",
        "Remarque": "remarque de test",
    }
    assert set(values) == set(headers(book.worksheets[0]))
    frame = read_palmares(fill(workbook_path, [values], tmp_path / "one.xlsx"))
    (row,) = frame.to_dict("records")
    assert row["source_row"] == EXAMPLE_ROW + 1  # the example row is not data
    by_key = {column.key: values[column.header] for column in template.COLUMNS}
    assert {key: row[key] for key in by_key} == {**by_key, "arobases": 3, "kind": "ville"}


def test_the_lists_cover_every_level_kind_departement_and_edition(workbook_path, reference):
    book = load_workbook(workbook_path)
    levels = list_values(book, "Niveau")
    assert sorted(_level(value) for value in levels) == [0, 1, 2, 3, 4, 5]
    assert "mention" in levels and "5 @" in levels
    assert {_kind(value) for value in list_values(book, "Catégorie")} == set(KIND_SPELLINGS)

    departements = list_values(book, "Département")
    assert departements == list(reference["departement"]["departement_code"])
    assert {"01", "2A", "2B", "971", "972", "973", "974", "976"} <= set(departements)

    editions = list_values(book, "Édition")
    assert [_edition(str(year)) for year in editions] == editions  # all accepted by the reader
    held = {int(row["edition_year"]) for row in raw_records("palmares/laureates.csv")}
    assert held <= set(editions)
    assert min(editions) == 1999 and max(editions) == dt.date.today().year
    assert not YEARS_WITHOUT_EDITION & set(editions)
    assert len(editions) == len(set(editions))


def test_instructions_and_print_layout(workbook_path):
    book = load_workbook(workbook_path)
    assert book.properties.creator == "palmares" and "modèle de saisie" in book.properties.title
    help_text = "\n".join(
        str(cell.value) for row in book[template.HELP_SHEET].iter_rows() for cell in row
    )
    assert "palmares ingest --dry-run modele.xlsx" in help_text
    assert "Une ligne par collectivité et par édition" in help_text
    for column in template.COLUMNS:
        assert column.header in help_text and column.help in help_text
    for level in ("5 @", "mention", "(case vide)"):
        assert level in help_text

    data = book.worksheets[0]
    assert data.freeze_panes == "C2"
    assert data.print_title_rows == "$1:$1"
    assert data.page_setup.orientation == "landscape"
    for sheet in book.worksheets:
        assert sheet.page_setup.fitToWidth == 1 and sheet.sheet_properties.pageSetUpPr.fitToPage
    for letter, header in (("C", "Département"), ("D", "Code")):  # "01" stays "01"
        assert data[f"{letter}1"].value == header
        assert data.column_dimensions[letter].number_format == "@"
    assert book[template.LISTS_SHEET].protection.sheet


def test_the_example_is_a_real_row_whose_departement_decides(reference):
    example = TEMPLATE_EXAMPLE
    real = [
        row
        for row in raw_records("palmares/laureates.csv")
        if (row["edition_year"], row["collectivity_name"]) == (example["edition"], example["name"])
    ]
    assert [
        (r["department_code"], r["category"], _level(r["arobases"]), r["source_url"], r["quote"])
        for r in real
    ] == [
        (
            example["departement"],
            example["kind"],
            _level(example["arobases"]),
            example["source_url"],
            example["quote"],
        )
    ]
    communes = reference["commune"]
    assert (communes["name"] == example["name"]).sum() >= 2  # what the instructions say


def test_an_unfilled_template_has_no_data_and_a_csv_copy_skips_the_example(workbook_path, tmp_path):
    with pytest.raises(InputError, match=r"no data rows under the header \(row 1\)"):
        read_palmares(workbook_path)

    sheet = load_workbook(workbook_path).worksheets[0]
    saved = tmp_path / "modele.csv"  # "Enregistrer sous… CSV (séparateur : point-virgule)"
    with saved.open("w", encoding="cp1252", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        for cells in sheet.iter_rows(max_row=EXAMPLE_ROW, values_only=True):
            writer.writerow(["" if value is None else value for value in cells])
        writer.writerow(["2024", "Commune de test", "", "", "", "1 @", "", "", "", ""])
    frame = read_palmares(saved)
    assert list(frame["source_row"]) == [EXAMPLE_ROW + 1]


def test_a_changed_example_is_refused_with_its_row(workbook_path, tmp_path):
    book = load_workbook(workbook_path)
    sheet = book.worksheets[0]
    sheet.cell(EXAMPLE_ROW, headers(sheet)["Niveau"], "5 @")
    sheet.cell(EXAMPLE_ROW + 1, 1, 2024)
    sheet.cell(EXAMPLE_ROW + 1, 2, "Commune de test")
    book.save(tmp_path / "changed.xlsx")
    with pytest.raises(InputError, match=r"changed\.xlsx, row 2: .*example.*'Niveau'"):
        read_palmares(tmp_path / "changed.xlsx")


def test_the_command_writes_the_workbook_or_says_why_not(tmp_path, capsys):
    out = tmp_path / "modele.xlsx"
    assert main(["template", "--out", str(out)]) == 0
    assert load_workbook(out).sheetnames == [
        template.DATA_SHEET,
        template.HELP_SHEET,
        template.LISTS_SHEET,
    ]
    assert main(["template", "--out", str(tmp_path / "missing" / "modele.xlsx")]) == 1
    assert main(["template", "--out", str(tmp_path / "modele.csv")]) == 2
    errors = capsys.readouterr().err
    assert "missing/modele.xlsx: no such folder" in errors and "modele.csv" in errors


def written(row: dict) -> dict:
    """A laureates.csv row as a person fills the template: the level picked in the list."""
    level = row["arobases"]
    return {
        "Édition": int(row["edition_year"]),
        "Collectivité": row["collectivity_name"],
        "Département": row["department_code"] or None,
        "Catégorie": row["category"] or None,
        "Niveau": next(v for v in template.LEVELS if _level(v) == int(level)) if level else None,
        "Distinction": row["distinction"] or None,
        "Source": row["source_url"],
        "Citation": row["quote"],
    }


@pytest.mark.slow  # one ingest, so one warehouse rebuild
def test_a_filled_template_ingests_every_row_resolved_or_set_aside(tmp_path):
    paths = project_copy(tmp_path / "project", [2024], [])
    blank = tmp_path / "modele.xlsx"
    made = palmares(paths, "template", "--out", str(blank))
    assert made.returncode == 0, made.stderr

    real = [
        row
        for row in raw_records("palmares/laureates.csv")
        if row["edition_year"] == "2024" and row["department_code"] and row["arobases"]
    ]
    wrong_departement = {**written(real[0]), "Département": "59"}
    tests = [
        {
            "Édition": 2024,
            "Collectivité": "Commune d'essai inexistante",
            "Département": "27",
            "Niveau": "3 @",
        },
        wrong_departement,
        {"Édition": int(TEMPLATE_EXAMPLE["edition"]), "Collectivité": TEMPLATE_EXAMPLE["name"]},
    ]
    for row, why in zip(tests, ("nom inconnu", "mauvais département", "sans département")):
        row["Remarque"] = f"ligne de test : {why}"
    filled = fill(blank, [written(row) for row in real] + tests, tmp_path / "saisie-2024.xlsx")

    result = palmares(paths, "ingest", str(filled))
    assert result.returncode == 0, result.stderr
    assert "saisie-2024.xlsx: added" in result.stdout

    source = "data/raw/palmares/imports/saisie-2024.xlsx"
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        resolved = con.execute(
            "SELECT source_row, code, arobases FROM laureates WHERE source_file = ?", [source]
        ).fetchall()
        held = dict(
            con.execute(
                "SELECT edition || name, code FROM laureates WHERE source_file = ?",
                ["data/raw/palmares/laureates.csv"],
            ).fetchall()
        )
        set_aside = dict(
            con.execute(
                "SELECT source_row, reason FROM quarantine WHERE source_file = ?", [source]
            ).fetchall()
        )
        (count,) = con.execute("SELECT row_count FROM source WHERE path = ?", [source]).fetchone()

    first = EXAMPLE_ROW + 1
    rows = range(first, first + len(real) + len(tests))
    assert sorted([r for r, *_ in resolved] + list(set_aside)) == list(rows)  # each once
    assert count == len(rows)  # read = resolved + set aside; the example is not a row
    assert {r: (code, level) for r, code, level in resolved} == {
        first + i: (held["2024" + row["collectivity_name"]], int(row["arobases"]))
        for i, row in enumerate(real)
    }
    unknown, mismatch, namesake = (first + len(real) + i for i in range(3))
    assert set(set_aside) == {unknown, mismatch, namesake}
    assert set_aside[unknown].startswith("unknown")
    assert set_aside[mismatch]  # a reason, whichever stage refused the département
    assert set_aside[namesake].startswith("ambiguous")
