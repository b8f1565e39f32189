"""Palmarès headers read by meaning: the header row found by its content, each header matched
to a field on its words.

A header is folded (case, accents), cut into words at punctuation, stripped of filler words
("nom de la", "Nb", "N°", "obtenu") and of plurals; it names a field when its words hold one of
the field's phrases (`HEADER_SPELLINGS`, read the same way, and `EXTRA_PHRASES`). The longest
phrase wins ("Code département" is the département, not the code); two phrases of different
fields are refused ("Commune / Département"). A phrase several fields share ("Label": years or
levels, "Note": levels or remarks) is decided by the column's values (`assign_ambiguous`).
A header holding a year and only label words ("2015", "Label 2015", "2015 (@)") is the column
of that edition in a wide table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.build.sources import palmares_values as values
from pipeline.build.sources.tabular import Rows, fold
from pipeline.errors import InputError

#: Header spellings known for each column read from a file (examples: any header holding the
#: same words, in any case, accents, punctuation or plural, names the same column). "Label" may
#: hold years or levels and "Note" levels or remarks: see `assign_ambiguous`.
HEADER_SPELLINGS = {
    "edition": (
        "edition",
        "edition_year",
        "Année",
        "Édition",
        "Millésime",
        "Année du label",
        "Label",
    ),
    "name": (
        "name",
        "collectivity_name",
        "Collectivité",
        "Commune",
        "Nom",
        "Nom de la collectivité",
    ),
    "departement": (
        "departement",
        "department_code",
        "Département",
        "Dépt",
        "Dept",
        "Code département",
    ),
    "kind": ("kind", "category", "Catégorie", "Type"),
    "arobases": ("arobases", "Nb @", "Nombre d'@", "Nombre d'arobases", "Note", "Niveau", "Label"),
    "distinction": ("distinction", "Mention", "Mentions"),
    "code": ("code", "Code INSEE", "INSEE", "SIREN"),
    "source_url": ("source_url", "Source", "URL"),
    "quote": ("quote", "Citation"),
    "note": ("note", "Remarque"),
}

#: Phrases people write beyond the spellings above: "Commune / Territoire", "Type de
#: collectivité", "Nom du département" (the département, not the collectivity's name).
EXTRA_PHRASES = {
    "edition": ("annee label", "annee labellisation", "edition label"),
    "name": ("commune territoire", "collectivite territoire", "ville village"),
    "departement": ("nom departement", "departement code", "department"),
    "kind": ("type collectivite", "categorie collectivite", "type territoire"),
    "arobases": ("niveau label", "label niveau", "arobase obtenu"),
    "code": ("code commune", "code collectivite", "code epci", "siren epci"),
    "source_url": ("lien", "lien source"),
    "note": ("commentaire", "observation"),
}

#: Words that make a header about something else than the collectivity's label ("Nom du
#: maire", "Population de la commune", "Date du label"): such a column is not read.
OTHER_SUBJECTS = frozenset(
    [
        "maire",
        "president",
        "contact",
        "population",
        "habitant",
        "date",
        "email",
        "mail",
        "telephone",
        "adresse",
        "region",
        "courriel",
        "elu",
    ]
)
#: Words that carry no meaning in a header.
FILLER = frozenset(
    [
        "de",
        "la",
        "le",
        "les",
        "du",
        "des",
        "d",
        "l",
        "a",
        "au",
        "aux",
        "en",
        "et",
        "ou",
        "par",
        "sur",
        "nb",
        "nombre",
        "n",
        "no",
        "num",
        "numero",
        "obtenu",
    ]
)
#: Words a wide table's year column may hold besides the year: "Label 2015", "2015 (@)".
YEAR_COLUMN_WORDS = frozenset(
    ["label", "edition", "palmare", "niveau", "arobase", "@", "annee", "millesime"]
)
#: A header cell longer than this is a sentence (a title or a note), not a header.
LONGEST_HEADER = 60
#: Longer than this, a cell is not a level ("5 arobases", "@@@@@" are shorter).
LONGEST_LEVEL = 16
_YEAR = re.compile(r"\d{4}")


def words(text: str) -> tuple[str, ...]:
    """Meaningful words of a header: folded, cut at punctuation, no filler, singular."""
    text = fold(text).replace("n°", " ").replace("nº", " ").replace("@", " @ ")
    found = []
    for word in re.split(r"[^\w@]+|_", text):
        if not word or word in FILLER:
            continue
        if len(word) > 3 and word[-1] in "sx" and not word.isdigit():
            word = word[:-1]
        found.append(word)
    return tuple(found)


def _phrases() -> list[tuple[frozenset[str], str]]:
    """(words, field) of every known phrase, in `HEADER_SPELLINGS` order of fields."""
    phrases = []
    for name in HEADER_SPELLINGS:
        for text in (*HEADER_SPELLINGS[name], *EXTRA_PHRASES.get(name, ())):
            entry = (frozenset(words(text)), name)
            if entry not in phrases:
                phrases.append(entry)
    return phrases


_PHRASES = _phrases()


@dataclass(frozen=True)
class Meaning:
    """What one header cell names: its candidate fields, or the edition of a year column.

    `fields` of more than one entry come from one shared phrase ("Label") and are decided by
    the values; `clash` lists the fields of different phrases in one header (refused).
    """

    fields: tuple[str, ...] = ()
    year: str | None = None
    clash: tuple[str, ...] = ()


def meaning(cell) -> Meaning:
    """The meaning of one header cell (an empty `Meaning` for a cell that names nothing)."""
    if not isinstance(cell, str) or len(cell) > LONGEST_HEADER:
        return Meaning()
    found = words(cell)
    if not found or OTHER_SUBJECTS.intersection(found):
        return Meaning()
    years = [word for word in found if _YEAR.fullmatch(word)]
    if len(years) == 1 and set(found) - {years[0]} <= YEAR_COLUMN_WORDS:
        return Meaning(year=years[0])
    present = set(found)
    matched = [(phrase, name) for phrase, name in _PHRASES if phrase <= present]
    widest = [(p, n) for p, n in matched if not any(p < other for other, _ in matched)]
    fields = tuple(dict.fromkeys(name for _, name in widest))
    if len({phrase for phrase, _ in widest}) > 1 and len(fields) > 1:
        return Meaning(clash=fields)
    return Meaning(fields=fields)


def is_header(cells: list) -> bool:
    """A header row names the collectivity and an edition, a level or a year column, and
    holds no value a data row would ("3 @", "5"): a row of data is never taken for one."""
    if any(_is_level(cell) for cell in cells):
        return False
    meanings = [meaning(cell) for cell in cells]
    names = {i for i, m in enumerate(meanings) if "name" in m.fields + m.clash}
    other = {
        i
        for i, m in enumerate(meanings)
        if m.year or {"edition", "arobases"} & set(m.fields + m.clash)
    }
    return bool(names) and bool(other) and len(names | other) > 1


def _is_level(cell) -> bool:
    """A level as data rows write it ("3 @", "5", "@@@"); "Mention" is also a header."""
    return (
        isinstance(cell, str)
        and len(cell) <= LONGEST_LEVEL
        and fold(cell).strip() != "mention"
        and values.fits_level(cell)
    )


def find_header(rows: Rows) -> int | None:
    """Index of the first row recognised as a header, wherever it is in the sheet."""
    return next((index for index, (_, cells) in enumerate(rows) if is_header(cells)), None)


@dataclass
class Columns:
    """Where each field is: field → column index; year columns: index → year text."""

    fields: dict[str, int] = field(default_factory=dict)
    years: dict[int, str] = field(default_factory=dict)


def map_columns(path: Path, header_row: int, headers: list, column_values) -> Columns:
    """Fields and year columns of a header row; `column_values(index)` gives a column's
    filled cells (for headers like "Label"). Unknown headers are not read."""
    columns = Columns()
    ambiguous = []

    def assign(name: str, index: int) -> None:
        if name in columns.fields:
            raise InputError(
                path,
                f"columns {headers[columns.fields[name]]!r} and "
                f"{headers[index]!r} both give the {name}: keep only one",
                row=header_row,
            )
        columns.fields[name] = index

    for index, cell in enumerate(headers):
        found = meaning(cell)
        if found.clash:
            raise InputError(
                path,
                f"header {cell!r} could be the {' or the '.join(found.clash)} column: "
                "rename it so that it names one",
                row=header_row,
            )
        if found.year:
            columns.years[index] = found.year
        elif len(found.fields) == 1:
            assign(found.fields[0], index)
        elif found.fields:
            ambiguous.append((index, list(found.fields)))
    for index, candidates in ambiguous:
        assign(assign_ambiguous(candidates, column_values(index), columns.fields), index)
    return columns


def assign_ambiguous(candidates: list[str], filled: list, taken: dict[str, int]) -> str:
    """Column for a header like "Label": the first free candidate whose values all fit it.

    Years fit edition, levels fit arobases, anything fits the other columns; a column with no
    value fits nothing but the last candidate. When no free candidate fits, the last free one
    is chosen so that its own row checks report the offending cell.
    """
    filled = [value for value in filled if isinstance(value, str)]
    free = [name for name in candidates if name not in taken] or candidates[-1:]
    for name in free:
        if name == "edition" and filled and all(values.is_year(value) for value in filled):
            return name
        if name == "arobases" and filled and all(values.fits_level(value) for value in filled):
            return name
        if name not in ("edition", "arobases"):
            return name
    return free[-1]
