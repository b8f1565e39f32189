"""Rows of a palmarès sheet that are not laureates: titles above the header, blank separator
rows, notes under the table, totals, the template's worked example.

Each is set aside with its row and why (`Skipped`), so that the reading reports it: nothing
under the header is dropped silently, and none of these is read as a collectivity. What is not
recognised as one of them stays a data row, and the reader refuses it if it is not a laureate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pipeline.build.sources.tabular import Rows, fold
from pipeline.errors import InputError

#: Why a row is not read (French: the reading is printed for the association's staff).
TITLE = "titre au-dessus de l'en-tête"
BLANK = "ligne vide"
NOTE = "note sous le tableau"
TOTAL = "total, pas une collectivité"
EXAMPLE = "ligne d'exemple du modèle"
NO_EDITION = "aucun niveau dans les colonnes d'édition"

#: The worked example row of `palmares template`: a real row of laureates.csv (Marcoux, a
#: name two communes bear, with the département that tells them apart), as the template writes
#: it, marked by its note.
TEMPLATE_EXAMPLE = {
    "edition": "2018",
    "name": "Marcoux",
    "departement": "42",
    "kind": "Village",
    "arobases": "2 @",
    "distinction": None,
    "code": None,
    "source_url": "https://www.francebleu.fr/infos/societe/"
    "loire-marcoux-790-habitants-et-seul-village-internet-du-departement-1518989972",
    "quote": "Le petit village de Marcoux ... reçu ce label le 8 février ... "
    "deux symboles s'afficheront",
    "note": "EXEMPLE : ligne ignorée à l'import. Écrivez vos lignes en dessous, "
    "laissez celle-ci telle quelle ou supprimez-la.",
}

#: A total: "Total : 241 collectivités", "Sous-total villes" with a number in the row.
_TOTAL = re.compile(r"(sous[- ]?)?total\b|nombre total\b|ensemble\b")
#: A note under the table: its only cell starts with a mark or a word that says so, or with a
#: few words and a colon ("Attention : ...").
_NOTE = re.compile(
    r"\*|n\.b\.|(?:nb|notes?|sources?|remarques?|lecture|mise? a jour|attention|legende)"
    r"(?:\s|:|\.|$)|[^\W\d][\w' -]{0,25}\s?:\s"
)


@dataclass(frozen=True)
class Skipped:
    """A row not read as a laureate, and why (`TITLE`, `BLANK`, `NOTE`, `TOTAL`, `EXAMPLE`,
    `NO_EDITION`: a wide table's collectivity with no level in any edition's column)."""

    row: int
    why: str


def _filled(cells: list) -> list:
    return [cell for cell in cells if cell is not None]


def _is_total(cells: list) -> bool:
    filled = _filled(cells)
    return (
        bool(filled)
        and isinstance(filled[0], str)
        and _TOTAL.match(fold(filled[0])) is not None
        and any(char.isdigit() for cell in filled for char in str(cell))
    )


def _is_note(cells: list) -> bool:
    filled = _filled(cells)
    return len(filled) == 1 and isinstance(filled[0], str) and bool(_NOTE.match(fold(filled[0])))


def _not_data(cells: list) -> bool:
    return _is_note(cells) or _is_total(cells)


def titles(rows: Rows, header: int) -> list[Skipped]:
    """The filled rows above the header row."""
    return [Skipped(number, TITLE) for number, cells in rows[:header] if _filled(cells)]


def set_aside(rows: Rows) -> tuple[Rows, list[Skipped]]:
    """The rows under the header split into data rows and rows that are not laureates.

    Notes are recognised in the block that ends the sheet (after the last data row); totals
    anywhere; blank rows between filled ones (blank rows that end the sheet hold nothing).
    """
    end = len(rows)
    while end and (not _filled(rows[end - 1][1]) or _not_data(rows[end - 1][1])):
        end -= 1
    last_filled = max((i for i, (_, cells) in enumerate(rows) if _filled(cells)), default=-1)
    data, skipped = [], []
    for index, (number, cells) in enumerate(rows):
        if not _filled(cells):
            if index < last_filled:
                skipped.append(Skipped(number, BLANK))
        elif _is_total(cells):
            skipped.append(Skipped(number, TOTAL))
        elif index >= end and _is_note(cells):
            skipped.append(Skipped(number, NOTE))
        else:
            data.append((number, cells))
    return data, skipped


def is_example(
    path: Path, number: int, cells: list, headers: list, mapping: dict[str, int]
) -> bool:
    """Is this row the template's example (its note is the example's), left unchanged?

    A changed example is refused rather than skipped (its changes would be lost) or read (it
    says it is not data); columns the file does not have are not compared.
    """
    found = {name: cells[index] if index < len(cells) else None for name, index in mapping.items()}
    note = found.get("note")
    if not isinstance(note, str) or _words(note) != _words(TEMPLATE_EXAMPLE["note"]):
        return False
    changed = [
        repr(headers[mapping[name]])
        for name, value in found.items()
        if value != TEMPLATE_EXAMPLE[name]
    ]
    if changed:
        raise InputError(
            path,
            f"this is the template's example row (its note says so), but its {', '.join(changed)} "
            "cell(s) changed: write your rows below it and leave it as it was, or delete it",
            row=number,
        )
    return True


def _words(text: str) -> str:
    return " ".join(fold(text).split())
