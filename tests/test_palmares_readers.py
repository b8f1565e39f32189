"""Every palmarès format reads to the same canonical rows, and bad files are refused by name.

The rows used are real rows of data/raw/palmares/laureates.csv, re-encoded and re-shaped as
users' exports would be; error cases alter one obviously wrong value (a "6 @", a 1998 edition).
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

from pipeline.build.sources.palmares import CANONICAL_COLUMNS, _kind, _level, read_palmares
from pipeline.errors import InputError
from pipeline.paths import DEFAULT_ROOT

LAUREATES = Path(DEFAULT_ROOT) / "data" / "raw" / "palmares" / "laureates.csv"
CANONICAL_HEADER = [
    "edition",
    "name",
    "departement",
    "kind",
    "arobases",
    "distinction",
    "code",
    "source_url",
    "quote",
    "note",
]

#: (edition, name) of the sample rows: a ligature and no level (Marcq-en-Barœul), Territoires
#: with a département (Pays des Achards 85, Centre Littoral 973), accents (Épiais-Rhus), a
#: leading zero (Villers-Semeuse 08), a village homonym (La Rochelle 70), "(Québec)" in a name.
SAMPLE = [
    ("2005", "Bromont (Québec)"),
    ("2005", "Le Havre"),
    ("2013", "Épiais-Rhus"),
    ("2017", "Marcq-en-Barœul"),
    ("2017", "Communauté de communes du Pays des Achards"),
    ("2017", "Villers-Semeuse"),
    ("2022", "Communauté d'Agglomération du Centre Littoral"),
    ("2024", "Villers-Semeuse"),
    ("2025", "La Rochelle"),
    ("2026", "Haulchin"),
]


def raw_laureates() -> list[dict[str, str]]:
    with LAUREATES.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def sample_rows() -> list[dict[str, str]]:
    """The SAMPLE rows of laureates.csv, with their row number in that file."""
    rows = []
    for number, row in enumerate(raw_laureates(), start=2):
        if (row["edition_year"], row["collectivity_name"]) in SAMPLE:
            rows.append({**row, "row": number})
    return rows


def write_csv(path: Path, header: list[str], rows: list[list], encoding="utf-8", sep=","):
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, delimiter=sep)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def canonical_rows(rows: list[dict[str, str]]) -> list[list[str]]:
    """Rows of the canonical CSV carrying edition, name, département, kind, level and source."""
    return [
        [
            r["edition_year"],
            r["collectivity_name"],
            r["department_code"],
            r["category"],
            r["arobases"],
            "",
            "",
            r["source_url"],
            "",
            "",
        ]
        for r in rows
    ]


def without_source(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns=["source_file", "source_row"]).reset_index(drop=True)


def raises_input_error(path: Path, *fragments: str) -> str:
    """Read `path`, expect an InputError naming the file and each fragment; return its text."""
    with pytest.raises(InputError) as caught:
        read_palmares(path)
    message = str(caught.value)
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message, message
    return message


# --- The shared laureates.csv ---------------------------------------------------------------


@pytest.fixture(scope="module")
def laureates() -> pd.DataFrame:
    return read_palmares(LAUREATES, source_file="data/raw/palmares/laureates.csv")


def test_laureates_csv_reads_every_row_in_order(laureates):
    raw = raw_laureates()
    assert list(laureates.columns) == CANONICAL_COLUMNS
    assert len(laureates) == len(raw)  # raw: the rows of data/raw's file, counted there
    assert laureates["source_file"].eq("data/raw/palmares/laureates.csv").all()
    assert laureates["source_row"].tolist() == list(range(2, len(raw) + 2))
    assert laureates["published_name"].tolist() == [r["collectivity_name"] for r in raw]
    assert laureates["edition"].tolist() == [int(r["edition_year"]) for r in raw]


def test_laureates_csv_keeps_unknown_levels_unknown(laureates):
    raw = raw_laureates()
    empty = pd.Series([r["arobases"] == "" for r in raw])
    assert 0 < empty.sum() < len(raw)  # rows with and rows without a level
    assert laureates["arobases"].isna().tolist() == empty.tolist()
    known = [int(r["arobases"]) for r in raw if r["arobases"]]
    assert laureates["arobases"].dropna().tolist() == known
    assert str(laureates["arobases"].dtype) == "Int64"


def test_laureates_csv_text_columns(laureates):
    raw = raw_laureates()
    assert laureates["departement"].tolist() == [r["department_code"] or None for r in raw]
    assert laureates["quote"].tolist() == [r["quote"] or None for r in raw]
    assert laureates["note"].tolist() == [r["note"] or None for r in raw]
    assert set(laureates["kind"].dropna()) == {"ville", "village", "territoire"}
    assert laureates["code"].isna().all()  # laureates.csv has no code column
    # "(Québec)" is not a département code: the name stays as published.
    bromont = laureates[laureates["published_name"] == "Bromont (Québec)"]
    assert bromont["name"].tolist() == ["Bromont (Québec)"]
    assert bromont["departement"].isna().all()


def test_default_source_file_is_the_path(tmp_path):
    path = write_csv(tmp_path / "palmares.csv", CANONICAL_HEADER, canonical_rows(sample_rows()))
    assert read_palmares(path)["source_file"].eq(str(path)).all()


# --- The same rows in every format ----------------------------------------------------------


def test_every_format_gives_the_same_rows(tmp_path, laureates):
    rows = sample_rows()
    assert len(rows) == len(SAMPLE)
    assert any("œ" in r["collectivity_name"] for r in rows)
    assert any(r["arobases"] == "" for r in rows)
    assert any(r["category"] == "Territoire" for r in rows)

    canonical = write_csv(tmp_path / "canonical.csv", CANONICAL_HEADER, canonical_rows(rows))

    french_kind = {"Territoire": "Intercommunalité", "Ville": "VILLE", "Village": "village", "": ""}
    french = write_csv(
        tmp_path / "export_excel.csv",
        ["Collectivité", "Département", "Nb @", "Année", "Catégorie", "Source"],
        [
            [
                r["collectivity_name"],
                r["department_code"],
                "@" * int(r["arobases"] or 0),
                r["edition_year"],
                french_kind[r["category"]],
                r["source_url"],
            ]
            for r in rows
        ],
        encoding="cp1252",
        sep=";",
    )
    bom = write_csv(
        tmp_path / "export_bom.csv",
        ["Nom de la collectivité", "Code département", "Nombre d’@", "Édition", "Type", "URL"],
        [
            [
                r["collectivity_name"],
                r["department_code"],
                f"{r['arobases']} @" if r["arobases"] else "",
                r["edition_year"],
                r["category"],
                r["source_url"],
            ]
            for r in rows
        ],
        encoding="utf-8-sig",
    )
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Palmarès Villes Internet (extrait de test)"])
    sheet.append([])
    sheet.append(["Millésime", "Commune", "Dépt", "Arobases", "Catégorie", "Source", "Vérifié"])
    for r in rows:
        sheet.append(
            [
                float(r["edition_year"]),
                r["collectivity_name"],
                r["department_code"] or None,
                int(r["arobases"]) if r["arobases"] else None,
                r["category"] or None,
                r["source_url"],
                "oui",
            ]
        )
    xlsx = tmp_path / "export.xlsx"
    workbook.save(xlsx)

    frames = {path.name: read_palmares(path) for path in (canonical, french, bom, xlsx)}
    expected = laureates.set_index("source_row").loc[[r["row"] for r in rows]]
    expected = expected.assign(distinction=None, quote=None, note=None).reset_index()
    for name, frame in frames.items():
        assert list(frame.columns) == CANONICAL_COLUMNS, name
        pd.testing.assert_frame_equal(without_source(frame), without_source(expected), obj=name)
    assert frames["canonical.csv"]["source_row"].tolist() == list(range(2, len(rows) + 2))
    assert frames["export.xlsx"]["source_row"].tolist() == list(range(4, len(rows) + 4))


def test_canonical_csv_round_trips_every_column(tmp_path, laureates):
    """Quotes with commas and double quotes, notes and distinctions survive the canonical CSV."""
    columns = [
        "edition",
        "published_name",
        "departement",
        "kind",
        "arobases",
        "distinction",
        "code",
        "source_url",
        "quote",
        "note",
    ]
    values = laureates[columns].astype(object).where(laureates[columns].notna(), "")
    path = write_csv(tmp_path / "all.csv", CANONICAL_HEADER, values.values.tolist())
    pd.testing.assert_frame_equal(without_source(read_palmares(path)), without_source(laureates))


def test_departement_suffix_is_split_off_the_name(tmp_path):
    """Haulchin (Nord) as an export writes it: "Haulchin (59)" with no département column."""
    haulchin = next(r for r in sample_rows() if r["collectivity_name"] == "Haulchin")
    path = write_csv(
        tmp_path / "suffix.csv",
        ["Année", "Commune", "Niveau"],
        [[haulchin["edition_year"], "Haulchin (59)", ""]],
        encoding="cp1252",
        sep=";",
    )
    row = read_palmares(path).iloc[0]
    assert (row["published_name"], row["name"], row["departement"]) == (
        "Haulchin (59)",
        "Haulchin",
        "59",
    )
    assert pd.isna(row["arobases"])


def test_label_and_note_headers_are_told_apart_by_their_values(tmp_path):
    rows = [r for r in sample_rows() if r["arobases"]]
    years_levels = write_csv(
        tmp_path / "label_years.csv",
        ["Label", "Commune", "Note"],
        [[r["edition_year"], r["collectivity_name"], r["arobases"]] for r in rows],
    )
    levels_years = write_csv(
        tmp_path / "label_levels.csv",
        ["Millésime", "Commune", "Label", "Note"],
        [
            [r["edition_year"], r["collectivity_name"], r["arobases"] + " @", "vérifié"]
            for r in rows
        ],
    )
    for path in (years_levels, levels_years):
        frame = read_palmares(path)
        assert frame["edition"].tolist() == [int(r["edition_year"]) for r in rows]
        assert frame["arobases"].tolist() == [int(r["arobases"]) for r in rows]
    assert read_palmares(levels_years)["note"].eq("vérifié").all()


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("5", 5),
        ("5 @", 5),
        ("5@", 5),
        ("5 arobases", 5),
        ("1 arobase", 1),
        ("@@@@@", 5),
        ("@@@", 3),
        ("mention", 0),
        ("Mention", 0),
        ("4.0", 4),
        (None, None),
    ],
)
def test_levels_accepted(text, level):
    assert _level(text) == level


@pytest.mark.parametrize(
    "text", ["6 @", "7", "beaucoup", "@@@@@@", "mention d'honneur", "5 étoiles"]
)
def test_levels_refused(text):
    with pytest.raises(ValueError, match="unknown @ level"):
        _level(text)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Ville", "ville"),
        ("VILLAGE", "village"),
        ("Territoire", "territoire"),
        ("EPCI", "territoire"),
        ("Intercommunalité", "territoire"),
        ("intercommunalite", "territoire"),
        ("Communauté d'agglomération", "territoire"),
        ("communauté de communes", "territoire"),
        (None, None),
    ],
)
def test_kinds(text, kind):
    assert _kind(text) == kind


# --- Refused files --------------------------------------------------------------------------


def corrupted(tmp_path: Path, column: str, value: str, index: int = 2, name="bad.csv") -> Path:
    """The canonical sample with the `column` cell of data row `index` (0-based) replaced."""
    rows = canonical_rows(sample_rows())
    rows[index][CANONICAL_HEADER.index(column)] = value
    return write_csv(tmp_path / name, CANONICAL_HEADER, rows)


def test_unknown_level_names_the_row(tmp_path):
    raises_input_error(corrupted(tmp_path, "arobases", "6 @"), "row 4", "'6 @'")


def test_edition_before_the_first_label(tmp_path):
    raises_input_error(corrupted(tmp_path, "edition", "1998"), "row 4", "1998", "1999")


def test_edition_in_the_future(tmp_path):
    next_year = str(dt.date.today().year + 1)
    raises_input_error(corrupted(tmp_path, "edition", next_year), "row 4", next_year, "future")


def test_missing_name_or_edition_in_a_row(tmp_path):
    raises_input_error(corrupted(tmp_path, "name", "", name="noname.csv"), "row 4", "name")
    raises_input_error(corrupted(tmp_path, "edition", "", name="noedition.csv"), "row 4", "edition")


def test_unknown_category(tmp_path):
    raises_input_error(corrupted(tmp_path, "kind", "Département"), "row 4", "'Département'")


def test_missing_arobases_column(tmp_path):
    rows = sample_rows()
    path = write_csv(
        tmp_path / "nolevel.csv",
        ["Collectivité", "Année", "Source"],
        [[r["collectivity_name"], r["edition_year"], r["source_url"]] for r in rows],
    )
    raises_input_error(
        path, "missing required column", "arobases", "Nb @", "'Collectivité', 'Année', 'Source'"
    )


def test_unrecognised_header_lists_what_it_found(tmp_path):
    path = write_csv(tmp_path / "other.csv", ["Ville", "Score"], [["Le Havre", "5"]])
    raises_input_error(path, "missing required column", "name", "edition", "'Ville', 'Score'")


def test_two_columns_for_the_name(tmp_path):
    path = write_csv(
        tmp_path / "twice.csv",
        ["Commune", "Collectivité", "Année", "Nb @"],
        [["Le Havre", "Le Havre", "2005", "5"]],
    )
    raises_input_error(path, "row 1", "'Commune'", "'Collectivité'")


def test_empty_file_and_header_only(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    raises_input_error(empty, "empty")
    header_only = write_csv(tmp_path / "header.csv", CANONICAL_HEADER, [])
    raises_input_error(header_only, "no data rows")


def test_binary_and_undecodable_csv(tmp_path):
    noise = tmp_path / "noise.csv"
    noise.write_bytes(os.urandom(2048))
    raises_input_error(noise)
    # 0x81 is neither UTF-8 here nor a Windows-1252 character.
    undecodable = tmp_path / "undecodable.csv"
    undecodable.write_bytes(b"edition,name,arobases\n2005,Le Havre\x81,5\n")
    raises_input_error(undecodable, "UTF-8", "Windows-1252")


def test_xlsx_that_is_not_a_workbook(tmp_path):
    fake = tmp_path / "palmares.xlsx"
    fake.write_text("Collectivité;Année;Nb @\nLe Havre;2005;5\n", encoding="utf-8")
    raises_input_error(fake, "Excel workbook")


def test_damaged_xlsx(tmp_path):
    """A workbook whose sheet XML is cut in half, as after an interrupted copy."""
    workbook = Workbook()
    workbook.active.append(["Collectivité", "Année", "Nb @"])
    workbook.active.append(["Le Havre", 2005, 5])
    whole = tmp_path / "whole.xlsx"
    workbook.save(whole)
    damaged = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(whole) as source, zipfile.ZipFile(damaged, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            target.writestr(name, data[: len(data) // 2] if name.endswith("sheet1.xml") else data)
    raises_input_error(damaged, "damaged Excel workbook")


def test_xlsx_formula_cell(tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Collectivité", "Année", "Nb @"])
    sheet.append(["Le Havre", 2005, 5])
    sheet.append(["Parthenay", 2005, "=2+3"])
    path = tmp_path / "formula.xlsx"
    workbook.save(path)
    raises_input_error(path, "row 3", "C3", "formula")


@pytest.mark.parametrize("suffix", [".xls", ".ods", ".txt"])
def test_unsupported_extension(tmp_path, suffix):
    path = tmp_path / f"palmares{suffix}"
    path.write_bytes(b"whatever")
    raises_input_error(path, suffix, "CSV", ".xlsx")


def test_missing_file(tmp_path):
    raises_input_error(tmp_path / "absent.csv", "cannot read")
