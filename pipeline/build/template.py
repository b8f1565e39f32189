"""`palmares template --out modele.xlsx`: a workbook the association's staff fill in, sure to
ingest.

The data sheet comes first, where a person looks (the reader reads every sheet that holds a
palmarès table, and reports the instructions and lists as not read): one French header per
column the reader reads (each one of its accepted spellings, `HEADER_SPELLINGS`), then the
worked example row the reader skips (`TEMPLATE_EXAMPLE`), a real fact of laureates.csv. Levels,
kinds, label years and département codes (the reference geography's) are chosen in drop-down
lists kept on a protected sheet and referenced by named ranges; the instructions sheet says in
French what to write and what `palmares ingest` does with it. Every sheet is laid out to print:
frozen header, header repeated on each page, one page wide.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from pipeline.build.sources.editions import (
    FIRST_YEAR_WITHOUT_MENTION,
    YEARS_WITHOUT_EDITION,
    label_years,
)
from pipeline.build.sources.palmares import KIND_SPELLINGS, REQUIRED, TEMPLATE_EXAMPLE
from pipeline.build.sources.reference import read_reference
from pipeline.io import atomic_path
from pipeline.paths import Paths
from pipeline.report.workbook import (
    BOLD_WIDTH,
    FONT,
    FOOTER_PAGE,
    HEADER_BORDER,
    HEADER_FILL,
    LINE_POINTS,
    line_count,
    write_cell,
)

DATA_SHEET, HELP_SHEET, LISTS_SHEET = "Palmarès", "Mode d'emploi", "Listes"
#: Rows of the data sheet given drop-down lists (an edition labels a few hundred collectivities).
LAST_ROW = 2000
EXAMPLE_ROW = 2
EXAMPLE_FONT = Font(name=FONT, italic=True, color="595959")
EXAMPLE_FILL = PatternFill("solid", fgColor="F2F2F2")
CODE_FONT = Font(name="Consolas")
_NO_EDITION = " ni ".join(str(year) for year in sorted(YEARS_WITHOUT_EDITION))
#: The @ levels as the list offers them: "5 @" to "1 @", then the level below 1 @.
LEVELS = [*(f"{level} @" for level in range(5, 0, -1)), "mention"]


@dataclass(frozen=True)
class Column:
    """One column of the data sheet: the reader's column, its header, what to write in it."""

    key: str  # the reader's canonical column
    header: str  # one of the reader's spellings for `key` (case and accents aside)
    width: int
    help: str
    choices: str | None = None  # the named range of its drop-down list
    as_text: bool = False  # typed codes keep their leading zeros ("01", "01053")


COLUMNS = (
    Column(
        "edition",
        "Édition",
        10,
        "Obligatoire. L'année du label (pas celle de la cérémonie : jusqu'au label 2009, la "
        "cérémonie avait lieu en novembre ou décembre de l'année du label ; depuis le label "
        f"2011, en janvier ou février). Il n'y a pas de label {_NO_EDITION}.",
        "liste_editions",
    ),
    Column(
        "name",
        "Collectivité",
        28,
        "Obligatoire. Le nom de la commune ou de l'intercommunalité tel que le palmarès "
        "l'écrit, même avec une coquille : la correction va dans la colonne Remarque.",
    ),
    Column(
        "departement",
        "Département",
        16,
        "Le code du département (01 à 95, 2A et 2B pour la Corse, 971 et au-delà outre-mer). "
        "Il départage les communes de même nom : donnez-le dès que vous le connaissez.",
        "liste_departements",
        as_text=True,
    ),
    Column(
        "code",
        "Code",
        11,
        "Facultatif. Le code INSEE de la commune (5 caractères) ou le numéro SIREN de "
        "l'intercommunalité (9 chiffres), s'il est connu sûrement.",
        as_text=True,
    ),
    Column(
        "kind",
        "Catégorie",
        13,
        "Facultatif. Ville, Village ou Territoire (une intercommunalité).",
        "liste_categories",
    ),
    Column(
        "arobases",
        "Niveau",
        10,
        "Le nombre d'arobases, de 1 @ à 5 @, ou « mention ». Colonne obligatoire ; la case "
        "reste vide si la source ne donne pas le niveau.",
        "liste_niveaux",
    ),
    Column(
        "distinction",
        "Distinction",
        20,
        "Facultatif. Une distinction en plus du niveau : Territoire d'excellence numérique, "
        "mention thématique (démocratie locale, médiation numérique, arobase verte...).",
    ),
    Column(
        "source_url",
        "Source",
        30,
        "L'adresse (URL) ou la référence du document qui publie ce résultat.",
    ),
    Column(
        "quote",
        "Citation",
        34,
        "La phrase de la source qui donne ce résultat, recopiée telle quelle.",
    ),
    Column(
        "note",
        "Remarque",
        32,
        "Vos remarques : coquille du nom et commune réellement visée, doute sur le niveau...",
    ),
)


def run(args: argparse.Namespace, paths: Paths) -> int:
    """The `palmares template` command: write the workbook to `args.out`."""
    out = Path(args.out)
    if out.suffix.lower() != ".xlsx":
        print(f"error: {out}: the template is an Excel workbook: name it *.xlsx", file=sys.stderr)
        return 2
    if not out.parent.is_dir():
        print(f"error: {out}: no such folder {out.parent}", file=sys.stderr)
        return 1
    write_template(out, read_reference(paths.reference))
    print(f"Template written to {out}; check a filled copy with `palmares ingest --dry-run {out}`")
    return 0


def write_template(out: Path, reference: dict[str, pd.DataFrame]) -> None:
    """The data sheet, the instructions and the lists (départements from `reference`, the
    reference geography), saved to `out` in one step."""
    years = edition_years(dt.date.today())
    book = Workbook()
    book.properties.title = "Palmarès Villes Internet : modèle de saisie"
    book.properties.creator = "palmares"
    data = book.active
    data.title = DATA_SHEET
    help_sheet = book.create_sheet(HELP_SHEET)
    lists = book.create_sheet(LISTS_SHEET)
    _lay_out_lists(book, lists, years, reference["departement"])
    _lay_out_data(data)
    _lay_out_help(help_sheet, out.name, reference)
    with atomic_path(out) as staging:
        book.save(staging)


def edition_years(today: dt.date) -> list[int]:
    """Label years the list offers, newest first: every year since the first label, up to
    this one (the reader refuses a later one), but those without an edition."""
    return label_years(today.year)[::-1]


def _lay_out_data(sheet: Worksheet) -> None:
    """Headers, the example row, drop-down lists, text formats and print layout."""
    for position, column in enumerate(COLUMNS, 1):
        letter = get_column_letter(position)
        sheet.column_dimensions[letter].width = column.width
        if column.as_text:
            sheet.column_dimensions[letter].number_format = "@"
        header = _header_cell(sheet, 1, position, column.header)
        header.comment = Comment(column.help, "palmares", width=320, height=110)
        value = TEMPLATE_EXAMPLE[column.key]
        if column.key == "edition":
            value = int(value)  # as a year chosen in the list is: a number
        cell = write_cell(sheet, EXAMPLE_ROW, position, value)
        cell.font, cell.fill = EXAMPLE_FONT, EXAMPLE_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if column.as_text:
            cell.number_format = "@"
        if column.choices:
            _add_choices(sheet, letter, column)
    example_lines = max(line_count(str(TEMPLATE_EXAMPLE[c.key] or ""), c.width) for c in COLUMNS)
    sheet.row_dimensions[EXAMPLE_ROW].height = LINE_POINTS * example_lines
    sheet.freeze_panes = "C2"  # the header, the edition and the name stay in sight
    _page_setup(sheet, landscape=True, title_rows="1:1")


def _add_choices(sheet: Worksheet, letter: str, column: Column) -> None:
    """A drop-down list refusing any other typed value, on the column's data rows."""
    validation = DataValidation(
        type="list",
        formula1=f"={column.choices}",
        allow_blank=True,
        showErrorMessage=True,
        errorStyle="stop",
        errorTitle=f"{column.header} : valeur hors liste",
        error=f"Choisissez une valeur de la liste déroulante (voir l'onglet « {LISTS_SHEET} ») "
        "ou laissez la case vide.",
    )
    validation.add(f"{letter}{EXAMPLE_ROW}:{letter}{LAST_ROW}")
    sheet.add_data_validation(validation)


def _lay_out_lists(
    book: Workbook, sheet: Worksheet, years: list[int], departements: pd.DataFrame
) -> None:
    """One list per column, named for the validations; the sheet protected from slips."""
    lists = {
        ("Niveau", "liste_niveaux"): LEVELS,
        ("Catégorie", "liste_categories"): [kind.capitalize() for kind in KIND_SPELLINGS],
        ("Édition", "liste_editions"): years,
        ("Département", "liste_departements"): list(departements["departement_code"]),
        ("Nom du département", None): list(departements["name"]),
    }
    for position, ((header, name), values) in enumerate(lists.items(), 1):
        letter = get_column_letter(position)
        _header_cell(sheet, 1, position, header)
        for row, value in enumerate(values, 2):
            cell = write_cell(sheet, row, position, value)
            cell.number_format = "@" if isinstance(value, str) else "0"
            cell.alignment = Alignment(horizontal="left")  # years apart from the next codes
        width = max(len(header) * BOLD_WIDTH, *(len(str(value)) for value in values)) + 4
        sheet.column_dimensions[letter].width = width
        if name:
            reference = f"{quote_sheetname(sheet.title)}!${letter}$2:${letter}${len(values) + 1}"
            book.defined_names[name] = DefinedName(name, attr_text=reference)
    sheet.freeze_panes = "A2"
    sheet.protection.sheet = True  # read-only by mistake, not a lock: no password
    _page_setup(sheet, landscape=False, title_rows="1:1")


def _lay_out_help(sheet: Worksheet, file_name: str, reference: dict[str, pd.DataFrame]) -> None:
    """The instructions: a term in column A, what it means in column B, by section."""
    widths = {"A": 24, "B": 92}
    for letter, width in widths.items():
        sheet.column_dimensions[letter].width = width
    row = 1
    title = write_cell(
        sheet,
        row,
        1,
        "Palmarès du label « Territoires, Villes et Villages Internet » : modèle de saisie",
    )
    title.font = Font(name=FONT, bold=True, size=14)
    sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=len(widths))
    sheet.row_dimensions[row].height = 24
    row += 2
    for section, lines in _instructions(file_name, reference):
        for letter in widths:
            heading = sheet[f"{letter}{row}"]
            heading.fill, heading.border = HEADER_FILL, HEADER_BORDER
        write_cell(sheet, row, 1, section).font = Font(name=FONT, bold=True, size=12)
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=len(widths))
        sheet.row_dimensions[row].height = 20
        row += 1
        for term, text in lines:
            term_cell = write_cell(sheet, row, 1, term)
            term_cell.font = (
                CODE_FONT if term.startswith("palmares ") else Font(name=FONT, bold=True)
            )
            text_cell = write_cell(sheet, row, 2, text)
            for cell in (term_cell, text_cell):
                cell.alignment = Alignment(wrap_text=True, vertical="top")
            lines_needed = max(
                # Bold, Consolas, or a font wider than Calibri where it is missing.
                line_count(term, widths["A"] / BOLD_WIDTH),
                line_count(text, widths["B"] / BOLD_WIDTH),
            )
            sheet.row_dimensions[row].height = LINE_POINTS * lines_needed + 3
            row += 1
        row += 1
    _page_setup(sheet, landscape=False, title_rows=None)


def _instructions(file_name: str, reference: dict[str, pd.DataFrame]) -> list[tuple[str, list]]:
    """(section, [(term, text)]) in French, from the columns, the reference and the example."""
    example = TEMPLATE_EXAMPLE
    departements = reference["departement"].set_index("departement_code")["name"]
    namesakes = int((reference["commune"]["name"] == example["name"]).sum())
    required = _and([column.header for column in COLUMNS if column.key in REQUIRED])
    listed = _and([column.header for column in COLUMNS if column.choices])
    return [
        (
            "Ce qu'il faut saisir",
            [
                (
                    "Une ligne par lauréat",
                    "Une ligne par collectivité et par édition : une commune labellisée trois "
                    "années occupe trois lignes. Saisissez dans l'onglet « Palmarès ».",
                ),
                (
                    "La ligne d'exemple",
                    f"La ligne {EXAMPLE_ROW} (grise, en italique) est un exemple réel : "
                    f"{example['name']} ({departements[example['departement']]}), "
                    f"{example['arobases']} au label "
                    f"{example['edition']}, avec sa source. Elle est ignorée à l'import. "
                    "Écrivez vos lignes en dessous ; laissez-la telle quelle ou supprimez-la. "
                    "Modifiée, elle fait refuser le fichier, avec son numéro de ligne.",
                ),
                (
                    "Le département",
                    f"Il y a {namesakes} communes nommées {example['name']} : sans son "
                    "département, la ligne d'exemple ne serait rattachée à aucune.",
                ),
                (
                    "Recopier, ne rien deviner",
                    "Recopiez le palmarès tel qu'il est publié. Une case vide vaut mieux qu'une "
                    "valeur supposée : un niveau inconnu reste inconnu.",
                ),
                (
                    "Les en-têtes",
                    "Ne modifiez pas la ligne 1 : l'import reconnaît les colonnes à leur "
                    f"en-tête. Les colonnes {required} doivent rester ; une colonne ajoutée "
                    "est ignorée.",
                ),
                (
                    "Les listes",
                    f"{listed} se choisissent dans une liste "
                    f"(valeurs dans l'onglet « {LISTS_SHEET} »). Une valeur collée échappe à "
                    "la liste : l'import la vérifie.",
                ),
                ("Pas de formule", "Une cellule qui contient une formule fait refuser le fichier."),
            ],
        ),
        ("Les colonnes", [(column.header, column.help) for column in COLUMNS]),
        (
            "Écrire le niveau",
            [
                (
                    "5 @ … 1 @",
                    "Le nombre d'arobases décerné. L'import lit aussi 5, 5@, 5 arobases ou @@@@@.",
                ),
                (
                    "mention",
                    "Le niveau inférieur à 1 @, qui existait jusque vers "
                    f"{FIRST_YEAR_WITHOUT_MENTION}.",
                ),
                (
                    "(case vide)",
                    "La source dit que la collectivité est labellisée sans donner le niveau.",
                ),
                (
                    "Distinction",
                    "Une distinction (Territoire d'excellence numérique, mention thématique) "
                    "s'écrit dans sa colonne, jamais à la place du niveau.",
                ),
            ],
        ),
        (
            "À l'import",
            [
                (
                    f"palmares ingest --dry-run {file_name}",
                    "À faire d'abord : montre, sans rien écrire, les lignes lues, celles qui "
                    "seraient rattachées à une collectivité et comment, celles qui seraient "
                    "mises de côté et pourquoi.",
                ),
                (
                    f"palmares ingest {file_name}",
                    "Copie le fichier tel quel dans data/raw/palmares/imports/ et reconstruit "
                    "l'entrepôt de données.",
                ),
                (
                    "Le nom du fichier",
                    "Un fichier importé sous le même nom qu'un autre le remplace : donnez à "
                    "chaque saisie un nom qui lui est propre (l'édition et la date, par exemple).",
                ),
                (
                    "Rattachement",
                    "Chaque ligne est rattachée à une commune (code INSEE) ou à une "
                    "intercommunalité (SIREN) d'après le nom, le département, la catégorie et "
                    "le code.",
                ),
                (
                    "Quarantaine",
                    "Une ligne qui ne peut pas être rattachée sûrement (nom inconnu, communes "
                    "de même nom sans département, département qui ne correspond pas au nom) "
                    "est mise de côté avec sa raison, jamais perdue : palmares check en donne "
                    "le compte par raison.",
                ),
                (
                    "Refus",
                    "Un fichier illisible (édition qui n'est pas une année passée, niveau "
                    "inconnu, formule, exemple modifié) est refusé en entier avec le numéro de "
                    "la ligne fautive : rien n'est modifié.",
                ),
            ],
        ),
    ]


def _and(words: list[str]) -> str:
    """["a", "b", "c"] → "a, b et c"."""
    return " et ".join([", ".join(words[:-1]), words[-1]]) if len(words) > 1 else words[0]


def _header_cell(sheet: Worksheet, row: int, column: int, text: str):
    cell = write_cell(sheet, row, column, text)
    cell.font = Font(name=FONT, bold=True)
    cell.fill, cell.border = HEADER_FILL, HEADER_BORDER
    cell.alignment = Alignment(vertical="center", wrap_text=True)
    return cell


def _page_setup(sheet: Worksheet, *, landscape: bool, title_rows: str | None) -> None:
    """A4, one page wide and as many tall as needed, the sheet's name and page in the footer."""
    sheet.page_setup.orientation = "landscape" if landscape else "portrait"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    if title_rows:
        sheet.print_title_rows = title_rows
    sheet.print_options.horizontalCentered = True
    sheet.oddFooter.left.text = "&A"
    sheet.oddFooter.center.text = FOOTER_PAGE
