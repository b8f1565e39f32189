"""Every shape of palmarès a person keeps reads to the same canonical rows; what could be read
two ways is refused, naming both readings; rows that are not laureates are reported.

The facts are test copies of real rows of data/raw/palmares/laureates.csv (editions 2009 and
2017, those with a level: name, département, level); only `TEST_ROW` is made up, where a test
needs a name that resolves to no collectivity. Each shape is written from those facts: long
tables, wide tables (one column per edition), one sheet per edition (year from the sheet name
or from a title row), several tables in a workbook; with titles, notes, totals, blank rows and
headers as people write them.
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from openpyxl import Workbook

from pipeline.build.sources.palmares import describe, read_palmares
from pipeline.build.sources.palmares_rows import BLANK, EXAMPLE, NO_EDITION, NOTE, TITLE, TOTAL
from pipeline.errors import InputError
from pipeline.paths import DEFAULT_ROOT

LAUREATES = DEFAULT_ROOT / "data" / "raw" / "palmares" / "laureates.csv"
FIXTURES = Path(__file__).parent / "fixtures" / "shapes"
EDITIONS = ("2009", "2017")
#: A made-up collectivity (a test row): no commune bears this name.
TEST_ROW = {"edition": "2017", "name": "Villefictive-de-Test", "departement": "", "level": 2}
COMPARED = ["edition", "published_name", "name", "departement", "arobases"]


def facts(with_test_row: bool = False) -> list[dict]:
    """Test copies of the real rows of `EDITIONS` with a level (edition, name, dept, level)."""
    with LAUREATES.open(encoding="utf-8", newline="") as handle:
        rows = [
            {
                "edition": row["edition_year"],
                "name": row["collectivity_name"],
                "departement": row["department_code"],
                "level": int(row["arobases"]),
            }
            for row in csv.DictReader(handle)
            if row["edition_year"] in EDITIONS and row["arobases"]
        ]
    return rows + ([TEST_ROW] if with_test_row else [])


def collectivities(rows: list[dict]) -> list[tuple[str, str]]:
    return list(dict.fromkeys((row["name"], row["departement"]) for row in rows))


def level_of(rows: list[dict], edition: str, key: tuple[str, str]) -> int | None:
    found = [
        r["level"] for r in rows if r["edition"] == edition and (r["name"], r["departement"]) == key
    ]
    assert len(found) <= 1  # one row per edition × collectivity in the facts
    return found[0] if found else None


# --- Writers: one per shape ------------------------------------------------------------------


def write_csv(path: Path, lines: list[list], separator=";", encoding="utf-8-sig") -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle, delimiter=separator).writerows(lines)
    return path


def write_xlsx(path: Path, sheets: dict[str, list[list]]) -> Path:
    book = Workbook()
    book.remove(book.active)
    for name, lines in sheets.items():
        sheet = book.create_sheet(name)
        for line in lines:
            sheet.append(line)
    book.save(path)
    return path


def long_lines(rows: list[dict], with_edition=True) -> list[list]:
    """A long table as an export writes it: a title, extra-word headers, a blank row, a total
    and a note under the table."""
    header = ["Commune / Territoire", "N° département", "Niveau obtenu"]
    body = [[r["name"], r["departement"] or None, "@" * r["level"]] for r in rows]
    if with_edition:
        header.insert(0, "Année du label")
        body = [[r["edition"], *line] for r, line in zip(rows, body)]
    return [
        ["Palmarès Villes Internet (fichier de test)"],
        [],
        header,
        *body,
        [],
        [f"Total : {len(rows)} collectivités"],
        ["Source : copie de test de data/raw/palmares/laureates.csv"],
    ]


def wide_lines(rows: list[dict], year_header=str) -> list[list]:
    """One row per collectivity, one column per edition holding its level (empty: not
    labelled that year)."""
    header = ["Collectivité", "Département", *(year_header(year) for year in EDITIONS)]
    body = [
        [name, departement or None]
        + [
            "@" * level if (level := level_of(rows, year, (name, departement))) else None
            for year in EDITIONS
        ]
        for name, departement in collectivities(rows)
    ]
    return [header, *body]


def one_edition_lines(rows: list[dict], year: str, title: str | None = None) -> list[list]:
    lines = long_lines([r for r in rows if r["edition"] == year], with_edition=False)
    if title is not None:
        lines[0] = [title]
    return lines


def shapes(directory: Path, rows: list[dict]) -> dict[str, Path]:
    """The same facts written in every shape, by file name."""
    first, second = EDITIONS
    kinds = {
        "long.csv": lambda p: write_csv(p, long_lines(rows)),
        "long.xlsx": lambda p: write_xlsx(p, {"Palmarès": [[], *long_lines(rows)]}),
        "wide.csv": lambda p: write_csv(p, wide_lines(rows), separator=","),
        "wide.xlsx": lambda p: write_xlsx(
            p,
            {
                "Historique": [
                    ["Historique du label (test)"],
                    *wide_lines(rows, lambda year: f"Label {year}"),
                ]
            },
        ),
        "sheet_names.xlsx": lambda p: write_xlsx(
            p,
            {
                first: one_edition_lines(rows, first)[2:],
                f"Palmarès {second}": one_edition_lines(rows, second),
                "Notes": [["Fichier de test : copie de lignes réelles."]],
            },
        ),
        "title_rows.xlsx": lambda p: write_xlsx(
            p,
            {
                "Feuil1": one_edition_lines(rows, first, f"Palmarès {first}"),
                "Feuil2": one_edition_lines(rows, second, f"Palmarès {second} (test)"),
            },
        ),
        "several_tables.xlsx": lambda p: write_xlsx(
            p,
            {
                "Cinq arobases": long_lines([r for r in rows if r["level"] == 5]),
                "Autres niveaux": long_lines([r for r in rows if r["level"] != 5]),
            },
        ),
    }
    return {name: write(directory / name) for name, write in kinds.items()}


def canonical(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows read, in one order, without where they were in the file."""
    return frame[COMPARED].sort_values(["edition", "published_name"]).reset_index(drop=True)


def expected(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "edition": [int(r["edition"]) for r in rows],
            "published_name": [r["name"] for r in rows],
            "name": [r["name"] for r in rows],
            "departement": [r["departement"] or None for r in rows],
            "arobases": [r["level"] for r in rows],
        },
        dtype=object,
    ).astype({"edition": "Int64", "arobases": "Int64"})
    return canonical(frame)


# --- Every shape, the same rows --------------------------------------------------------------


def test_the_facts_hold_levels_of_both_editions():
    rows = facts()
    assert {r["edition"] for r in rows} == set(EDITIONS)
    assert len({r["level"] for r in rows}) > 2  # several levels, not only 5 @
    assert any(r["departement"] for r in rows)


def test_every_shape_reads_to_the_same_rows(tmp_path):
    rows = facts()
    for name, path in shapes(tmp_path, rows).items():
        frame = read_palmares(path, source_file=f"imports/{name}")
        pd.testing.assert_frame_equal(canonical(frame), expected(rows), obj=name)
        assert frame["source_file"].str.startswith(f"imports/{name}").all(), name


def test_one_edition_csv_under_a_title(tmp_path):
    rows = [r for r in facts() if r["edition"] == "2017"]
    path = write_csv(tmp_path / "p.csv", one_edition_lines(rows, "2017", "Palmarès 2017"))
    pd.testing.assert_frame_equal(canonical(read_palmares(path)), expected(rows))


@pytest.mark.parametrize("header", ["{}", "Label {}", "{} (@)", "Édition {}", "Palmarès {}"])
def test_wide_year_headers(tmp_path, header):
    rows = facts()
    path = write_csv(tmp_path / "wide.csv", wide_lines(rows, header.format))
    pd.testing.assert_frame_equal(canonical(read_palmares(path)), expected(rows))


def test_where_each_row_was(tmp_path):
    """source_row is the row a person sees; the sheet or the column is in source_file when
    the row alone does not find the cell."""
    rows = facts()
    files = shapes(tmp_path, rows)
    long = read_palmares(files["long.xlsx"], "imports/long.xlsx")
    assert long["source_file"].eq("imports/long.xlsx").all()
    assert long["source_row"].tolist() == list(range(5, 5 + len(rows)))  # a blank, title, blank

    wide = read_palmares(files["wide.csv"], "imports/wide.csv")
    grenoble = wide[wide["name"] == "Grenoble"].sort_values("edition")
    assert grenoble["source_row"].nunique() == 1  # the collectivity's row
    assert grenoble["source_file"].tolist() == [
        "imports/wide.csv#colonne=C",
        "imports/wide.csv#colonne=D",
    ]
    assert not wide.duplicated(["source_file", "source_row"]).any()  # the warehouse's key

    sheets = read_palmares(files["sheet_names.xlsx"], "imports/s.xlsx")
    assert set(sheets["source_file"]) == {
        "imports/s.xlsx#feuille=2009",
        "imports/s.xlsx#feuille=Palmarès 2017",
    }
    assert sheets[sheets["edition"] == 2009]["source_row"].min() == 2  # header on row 1


# --- What was understood ---------------------------------------------------------------------


def test_the_reading_says_shapes_headers_fields_and_years(tmp_path):
    files = shapes(tmp_path, facts())
    reading = describe(files["sheet_names.xlsx"])
    first, second, notes = reading.sheets
    assert (first.shape, second.shape, notes.shape) == ("one edition", "one edition", None)
    assert (first.header_row, second.header_row) == (1, 3)
    assert "nom de la feuille « 2009 »" in first.year_from
    assert ("A", "Commune / Territoire", "name") in first.columns
    assert ("C", "Niveau obtenu", "arobases") in first.columns
    assert "en-tête" in notes.why_not_read
    text = "\n".join(reading.lines())
    assert "Feuille « Notes » : non lue" in text
    assert "colonne B « N° département » : département" in text
    assert "liste d'une édition" in text

    wide = describe(files["wide.csv"])
    assert wide.sheets[0].shape == "wide"
    assert ("C", "2009", "niveau de l'édition 2009") in wide.sheets[0].columns


def test_rows_that_are_not_laureates_are_reported_one_by_one(tmp_path):
    rows = facts()
    path = write_csv(tmp_path / "p.csv", long_lines(rows))
    reading = describe(path)
    last = 3 + len(rows)
    assert [(s.row, s.why) for s in reading.sheets[0].skipped] == [
        (1, TITLE),
        (last + 1, BLANK),
        (last + 2, TOTAL),
        (last + 3, NOTE),
    ]
    assert len(reading.frame) == len(rows)
    assert "Total" not in set(reading.frame["name"])
    lines = reading.lines()
    assert f"  écartée : ligne {last + 2} : {TOTAL}" in lines
    assert f"  écartée : ligne {last + 3} : {NOTE}" in lines


def test_blank_rows_inside_the_table_are_counted(tmp_path):
    rows = facts()[:3]
    lines = long_lines(rows)
    lines[4:4] = [[], []]  # two blank rows after the first laureate (rows 5 and 6)
    reading = describe(write_csv(tmp_path / "p.csv", lines))
    blanks = [s.row for s in reading.sheets[0].skipped if s.why == BLANK]
    assert blanks[:2] == [5, 6]
    assert "  écartées : lignes 5 à 6, 9 : ligne vide" in reading.lines()


def test_the_template_example_is_reported(tmp_path):
    from pipeline.build.sources.palmares import TEMPLATE_EXAMPLE

    header = list(TEMPLATE_EXAMPLE)
    real = facts()[0]
    path = write_csv(
        tmp_path / "t.csv",
        [
            header,
            [TEMPLATE_EXAMPLE[column] or "" for column in header],
            [real["edition"], real["name"], real["departement"], "", str(real["level"])] + [""] * 5,
        ],
        separator=",",
        encoding="utf-8",
    )
    reading = describe(path)
    assert [(s.row, s.why) for s in reading.sheets[0].skipped] == [(2, EXAMPLE)]
    assert reading.frame["source_row"].tolist() == [3]


def test_a_note_that_is_a_name_is_not_dropped(tmp_path):
    """A single name under a one-edition table is a laureate (level unknown), not a note."""
    rows = [r for r in facts() if r["edition"] == "2017"][:2]
    lines = one_edition_lines(rows, "2017", "Palmarès 2017")[:-3]  # no blank, total, note
    lines.append(["Champ-sur-Drac"])  # a real commune name whose first word is a note word
    frame = read_palmares(write_csv(tmp_path / "p.csv", lines))
    assert frame["name"].tolist()[-1] == "Champ-sur-Drac"
    assert pd.isna(frame["arobases"].iloc[-1])


# --- Headers by meaning ----------------------------------------------------------------------


def test_the_header_row_is_found_under_a_title_and_named_in_errors(tmp_path):
    """The case of the issue: `Commune / Territoire` under a merged title, header on row 4."""
    rows = facts()[:2]
    book = Workbook()
    sheet = book.active
    sheet.append(["Palmarès du label Villes Internet (test)"])
    sheet.merge_cells("A1:D1")
    sheet.append([])
    sheet.append(["Extrait de test"])
    sheet.append(["Commune / Territoire", "Dépt", "Nb @", "Année"])
    for r in rows:
        sheet.append([r["name"], r["departement"] or None, r["level"], int(r["edition"])])
    sheet.append([rows[0]["name"], None, "9 @", 2017])
    book.save(tmp_path / "p.xlsx")
    with pytest.raises(InputError) as caught:
        read_palmares(tmp_path / "p.xlsx")
    assert "row 7" in str(caught.value) and "'9 @'" in str(caught.value)


@pytest.mark.parametrize(
    "headers",
    [
        ["Nom de la collectivité", "Département", "Nombre d'arobases", "Millésime"],
        ["COLLECTIVITÉS", "Départements", "Niveaux", "Années"],
        ["collectivite", "n° dept", "nb d'@", "annee du label"],
        ["Commune / Territoire", "Code département", "Label obtenu", "Édition"],
        ["Nom de la commune", "Département", "Niveau de label", "Année de labellisation"],
    ],
)
def test_headers_with_words_more_or_less(tmp_path, headers):
    rows = facts()
    lines = [headers] + [[r["name"], r["departement"], str(r["level"]), r["edition"]] for r in rows]
    frame = read_palmares(write_csv(tmp_path / "p.csv", lines))
    pd.testing.assert_frame_equal(canonical(frame), expected(rows))


def test_columns_about_something_else_are_not_read(tmp_path):
    rows = facts()[:2]
    lines = [["Commune", "Nom du maire", "Date du label", "Nb @", "Année"]] + [
        [r["name"], "Maire de test", "01/02/2017", str(r["level"]), r["edition"]] for r in rows
    ]
    reading = describe(write_csv(tmp_path / "p.csv", lines))
    assert ("B", "Nom du maire", None) in reading.sheets[0].columns
    assert "  colonne C « Date du label » : non lue" in reading.lines()


# --- Refused: two readings, or a header that names two fields ---------------------------------


def refused(path: Path, *fragments: str) -> str:
    with pytest.raises(InputError) as caught:
        read_palmares(path)
    message = str(caught.value)
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message, message
    return message


def test_years_in_columns_and_an_edition_column(tmp_path):
    rows = facts()
    lines = wide_lines(rows)
    lines[0].append("Année")
    for line in lines[1:]:
        line.append("2017")
    refused(write_csv(tmp_path / "p.csv", lines), "two ways", "'Année'", "'2009', '2017'", "row 1")


def test_years_in_columns_and_a_level_column(tmp_path):
    lines = wide_lines(facts())
    lines[0].append("Niveau")
    refused(write_csv(tmp_path / "p.csv", lines), "two ways", "'Niveau'", "'2009'")


def test_sheet_name_and_title_give_two_years(tmp_path):
    rows = facts()
    path = write_xlsx(
        tmp_path / "p.xlsx", {"2017": one_edition_lines(rows, "2017", "Palmarès 2009")}
    )
    refused(
        path,
        "two ways",
        "edition 2017 (nom de la feuille « 2017 »)",
        "edition 2009 (titre ligne 1)",
    )


def test_an_edition_column_against_the_sheet_year(tmp_path):
    rows = facts()
    path = write_xlsx(tmp_path / "p.xlsx", {"2017": long_lines(rows)})
    refused(path, "two ways", "edition 2009 (column 'Année du label')", "edition 2017")


def test_one_header_for_two_fields(tmp_path):
    lines = [["Commune / Département", "Nb @", "Année"], ["Grenoble (test)", "5", "2017"]]
    refused(write_csv(tmp_path / "p.csv", lines), "'Commune / Département'", "name", "departement")


def test_two_headers_for_one_field(tmp_path):
    lines = [["Commune", "Nom de la collectivité", "Nb @", "Année"], ["Metz", "Metz", "5", "2009"]]
    refused(write_csv(tmp_path / "p.csv", lines), "'Commune'", "'Nom de la collectivité'", "row 1")


def test_a_one_edition_table_without_a_year_anywhere(tmp_path):
    lines = one_edition_lines(facts(), "2017")
    lines[0] = ["Palmarès (fichier de test)"]
    refused(
        write_csv(tmp_path / "p.csv", lines), "missing required column(s): edition", "sheet's name"
    )


def test_a_workbook_without_any_palmares_table(tmp_path):
    path = write_xlsx(
        tmp_path / "p.xlsx", {"Feuil1": [], "Notes": [["Ville", "Score"], ["Le Havre", "5"]]}
    )
    refused(path, "missing required column", "'Ville', 'Score'")


# --- Committed fixtures: the shapes as the README shows them ---------------------------------


def test_committed_fixtures():
    """tests/fixtures/shapes: a wide table, a long one with title, total and note, and the
    same list refused when it gives its years two ways."""
    wide = read_palmares(FIXTURES / "wide.csv")
    long = read_palmares(FIXTURES / "long_title_total_note.csv")
    pd.testing.assert_frame_equal(canonical(wide), canonical(long))
    refused(FIXTURES / "two_readings.csv", "two ways")


# --- The warehouse is the same whatever the shape --------------------------------------------


@pytest.mark.slow
def test_the_warehouse_is_the_same_whatever_the_shape(tmp_path):
    """One build with the same palmarès ingested in every shape: each file gives the same
    laureates and the same quarantine (the made-up test row)."""
    from conftest import project_copy

    from pipeline.build.ingest import ingest
    from pipeline.build.steps import TABLE_STEPS, Progress, build_tables

    paths = project_copy(tmp_path / "project", [2017], [])
    files = shapes(tmp_path, facts(with_test_row=True))
    outcome = ingest(
        paths,
        list(files.values()),
        lambda: build_tables(paths, Progress(total=TABLE_STEPS, report=lambda line: None)),
    )
    assert set(outcome) == set(files)
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        found = con.execute(
            "SELECT regexp_replace(source_file, '#.*$', '') AS file, edition, name, code, "
            "arobases, resolution_method AS how FROM laureates "
            "WHERE source_file LIKE 'data/raw/palmares/imports/%' UNION ALL "
            "SELECT regexp_replace(source_file, '#.*$', ''), edition, name, reason, arobases, "
            "'quarantine' FROM quarantine WHERE source_file LIKE 'data/raw/palmares/imports/%' "
        ).df()
    by_file = {
        file: rows.drop(columns="file").sort_values(["edition", "name"]).reset_index(drop=True)
        for file, rows in found.groupby("file")
    }
    assert set(by_file) == {f"data/raw/palmares/imports/{name}" for name in files}
    first = next(iter(by_file.values()))
    assert len(first) == len(facts(with_test_row=True))
    assert (first["how"] == "quarantine").sum() >= 1  # the test row
    for file, rows in by_file.items():
        pd.testing.assert_frame_equal(rows, first, obj=file)


def test_a_mention_column_is_a_header_not_a_level(tmp_path):
    """ "Mention" is both a level ("mention") and a header (the distinction column)."""
    lines = [
        ["Année", "Commune", "Nb @", "Mention"],
        ["2021", "Grenoble", "", "Territoire d'excellence numérique"],
    ]
    frame = read_palmares(write_csv(tmp_path / "p.csv", lines))
    assert frame["distinction"].tolist() == ["Territoire d'excellence numérique"]


def test_a_wide_level_cell_that_is_not_a_level_names_its_column(tmp_path):
    lines = wide_lines(facts())
    lines[2][3] = "oui"
    refused(write_csv(tmp_path / "p.csv", lines), "row 3", "'oui'", "column '2017'")


def test_a_wide_row_without_any_level_is_reported(tmp_path):
    lines = wide_lines(facts())
    lines.insert(2, ["Villefictive-de-Test", None, None, None])  # a test row, no level at all
    reading = describe(write_csv(tmp_path / "p.csv", lines, separator=","))
    assert [(s.row, s.why) for s in reading.sheets[0].skipped] == [(3, NO_EDITION)]
    assert "Villefictive-de-Test" not in set(reading.frame["name"])


def test_two_title_years_over_one_edition(tmp_path):
    lines = one_edition_lines(facts(), "2017", "Palmarès 2017")
    lines[1] = ["Édition 2018 (test)"]
    refused(write_csv(tmp_path / "p.csv", lines), "two ways", "edition 2017", "edition 2018")
