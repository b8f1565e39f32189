"""What the palmarès reader understood of a file, for a person to check before trusting it.

`describe` (palmares.py) returns a `Reading`; `Reading.lines()` says, in French for the
association's staff, per sheet: the shape found, the header row, each column's field, where
the editions come from, the rows read, and every row set aside with why (one counted line per
reason and run of rows). Text from the file is shown escaped (`plain`): it is hostile.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import pandas as pd

from pipeline.build.sources.palmares_rows import Skipped
from pipeline.build.sources.palmares_shapes import SHAPE_NAMES, SheetReading
from pipeline.formatting import format_fr, plain

#: The fields as the reading names them.
FIELD_NAMES = {
    "edition": "édition",
    "name": "collectivité",
    "departement": "département",
    "kind": "catégorie",
    "arobases": "niveau (@)",
    "distinction": "distinction",
    "code": "code INSEE ou SIREN",
    "source_url": "source",
    "quote": "citation",
    "note": "remarque",
}


@dataclass
class Reading:
    """One file's reading: its sheets (a CSV has one, named None) and the rows read."""

    source_file: str
    sheets: list[SheetReading]
    frame: pd.DataFrame  # what `read_palmares` returns

    def skipped(self) -> Counter:
        """Why → number of rows set aside, over every sheet read."""
        return Counter(item.why for sheet in self.sheets for item in sheet.skipped)

    def lines(self) -> list[str]:
        """The reading in French, one line per fact, for the CLI to print."""
        read = [sheet for sheet in self.sheets if sheet.shape is not None]
        lines = [
            f"« {plain(self.source_file)} » : {_count(len(self.frame), 'ligne')} du palmarès "
            f"lue{'s' if len(self.frame) > 1 else ''}, "
            f"{_count(sum(self.skipped().values()), 'ligne')} écartée"
            f"{'s' if sum(self.skipped().values()) > 1 else ''}, "
            f"{_count(len(read), 'tableau', 'tableaux')}."
        ]
        for sheet in self.sheets:
            where = "Tableau" if sheet.sheet is None else f"Feuille « {plain(sheet.sheet)} »"
            if sheet.shape is None:
                lines.append(f"{where} : non lue, {sheet.why_not_read}.")
                continue
            lines.append(
                f"{where} : {SHAPE_NAMES[sheet.shape]} ; en-tête ligne {sheet.header_row} ; "
                f"éditions : {plain(sheet.year_from)}."
            )
            for letter, header, what in sheet.columns:
                meaning = FIELD_NAMES.get(what, what) if what else "non lue"
                lines.append(f"  colonne {letter} « {plain(header)} » : {meaning}")
            rows = sorted({number for number, _, _ in sheet.records})
            lines.append(
                f"  lues : {_count(len(rows), 'ligne')} ({_runs(rows)}), donnant "
                f"{_count(len(sheet.records), 'ligne')} du palmarès"
            )
            lines.extend(
                f"  écartée{plural} : {runs} : {why}"
                for why, runs, plural in _grouped(sheet.skipped)
            )
        return lines


def _count(number: int, singular: str, plural: str | None = None) -> str:
    word = singular if number < 2 else (plural or singular + "s")
    return f"{format_fr(number)} {word}"


def _runs(rows: list[int]) -> str:
    """ "lignes 4 à 15, 17" from sorted row numbers."""
    if not rows:
        return "aucune"
    runs, start, end = [], rows[0], rows[0]
    for row in rows[1:]:
        if row == end + 1:
            end = row
            continue
        runs.append((start, end))
        start = end = row
    runs.append((start, end))
    text = ", ".join(str(a) if a == b else f"{a} à {b}" for a, b in runs)
    return f"{'lignes' if len(rows) > 1 else 'ligne'} {text}"


def _grouped(skipped: list[Skipped]) -> list[tuple[str, str, str]]:
    """(why, rows, plural mark) per reason, in the order the reasons first occur."""
    rows: dict[str, list[int]] = {}
    for item in skipped:
        rows.setdefault(item.why, []).append(item.row)
    return [(why, _runs(numbers), "s" if len(numbers) > 1 else "") for why, numbers in rows.items()]
