"""Palmarès readers: every file format users bring, turned into the same canonical rows.

Readers know formats, not codes: they never look a name up in the reference geography (the
resolver does that). They keep the name exactly as published and refuse, with the file, the
row and the problem, anything they cannot read without guessing.

Formats read by `read_palmares`:

- the project's canonical CSV: UTF-8, comma-separated, standard CSV quoting, this header::

      edition,name,departement,kind,arobases,distinction,code,source_url,quote,note

  one row per edition × collectivity. `edition` is the label year (1999 onwards); `name` the
  collectivity as published; `departement` its département code when known; `kind` ville,
  village or territoire (may be empty); `arobases` 1 to 5, 0 for a «mention», empty when the
  level is unknown; `distinction` an extra distinction (TEN, thematic mention); `code` an
  optional INSEE commune code or EPCI SIREN, kept as written; `source_url`, `quote`, `note`
  the evidence and a person's remarks. Only edition, name and arobases are required columns.
- the shared data/raw/palmares/laureates.csv (edition_year, collectivity_name,
  department_code, category, arobases, distinction, source_url, quote, note);
- exports as users have them: CSV (`;`, `,` or tab separated; UTF-8 with or without BOM, or
  Windows-1252) or XLSX (first sheet, title rows above the table allowed), with French
  headers (see `HEADER_SPELLINGS`) matched ignoring case, accents and spaces.

The worked example row of the data-entry template (`palmares template`, `TEMPLATE_EXAMPLE`)
is not data: left as the template wrote it, it is skipped like a blank row; changed, the file
is refused, since what the person meant by it cannot be told.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd

from pipeline.build.sources import tabular
from pipeline.build.sources.tabular import Formula, Rows, fold
from pipeline.errors import InputError

#: Columns of the frame `read_palmares` returns, in this order.
CANONICAL_COLUMNS = [
    "source_file",
    "source_row",
    "edition",
    "published_name",
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

#: Header spellings accepted for each column read from a file. "Label" may hold years or
#: levels and "Note" levels or remarks: a header listed under several columns goes to the first
#: of them (in this order) that its values fit, see `_assign_ambiguous`.
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

#: Columns a palmarès file must have. The arobases column must exist even if some of its cells
#: are empty: a file without it says nothing about levels, which is worth a question to its owner.
REQUIRED = ("name", "edition", "arobases")

#: Values accepted in the kind column (compared ignoring case and accents); a value may also
#: start with one of them followed by a space ("Communauté de communes du ...").
KIND_SPELLINGS = {
    "ville": ("ville", "villes"),
    "village": ("village", "villages"),
    "territoire": (
        "territoire",
        "territoires",
        "epci",
        "intercommunalite",
        "intercommunalites",
        "communaute",
        "communautes",
    ),
}

FIRST_EDITION = 1999
#: Title rows allowed above the header row (XLSX exports often carry a title and a blank row).
HEADER_SEARCH_ROWS = 10
CSV_SEPARATORS = (";", ",", "\t")

#: A département code printed after the name: "Lille (59)", "Ajaccio (2A)", "Les Abymes (971)".
#: "Bromont (Québec)" or "(ARGI)" are not département codes and stay in the name.
_DEPARTEMENT_SUFFIX = re.compile(r"\s*\((\d{2,3}|2[AB])\)$", re.IGNORECASE)
_LEVEL_NUMBER = re.compile(r"(\d+)(?:[.,]0+)?(?:@|arobases?)?")  # spaces already removed
_INTEGER = re.compile(r"(\d+)(?:[.,]0+)?")  # "2024" and "2024.0" (a float column exported as text)
#: What the refusals of an unreadable file advise.
_EXPORT_AGAIN = "export the palmarès again as CSV (UTF-8) or XLSX"


def read_palmares(path: Path, source_file: str | None = None) -> pd.DataFrame:
    """Read one palmarès file (CSV or XLSX) into `CANONICAL_COLUMNS`, one row per data row.

    `source_file` is what the frame records as the file (the caller passes the path relative
    to the project root); `source_row` is the row number a person sees in a spreadsheet.
    Raises `InputError` naming the file, the row and the problem for anything unreadable.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        rows = _csv_rows(path)
    elif suffix == ".xlsx":
        rows = _xlsx_rows(path)
    else:
        raise InputError(
            path,
            f"unsupported file type {suffix or '(no extension)'!r}: "
            "save the palmarès as CSV or as an Excel workbook (.xlsx)",
        )
    records = [
        [source_file if source_file is not None else str(path), number, *values]
        for number, values in _canonical_records(path, rows)
    ]
    frame = pd.DataFrame(records, columns=CANONICAL_COLUMNS, dtype=object)
    return frame.astype({"source_row": "int64", "edition": "Int64", "arobases": "Int64"})


# --- Formats: each gives a list of (row number, cells), cells being str, None or Formula -----


def _csv_rows(path: Path) -> Rows:
    """Decode the file, then pick the separator under which a header row is recognised.

    Every separator's split is made before choosing: a CSV error under any of them refuses
    the file.
    """
    text = tabular.decode(path, kind="CSV text file", advice=_EXPORT_AGAIN)
    parsed = [tabular.parse_csv(path, text, separator) for separator in CSV_SEPARATORS]
    rows, _ = tabular.pick_split(parsed, _find_header, _first_row_width)
    return rows


def _first_row_width(rows: Rows) -> int:
    return next((len(cells) for _, cells in rows if any(cells)), 0)


def _xlsx_rows(path: Path) -> Rows:
    """The first sheet's cells as text; formula cells are kept as `Formula`, never evaluated."""
    return tabular.xlsx_rows(
        path,
        _xlsx_text,
        invalid_advice="open it in a spreadsheet program and save it again as .xlsx or CSV",
        damaged_advice="save it again as .xlsx or CSV",
    )


def _xlsx_text(value):
    """Cell value as text; a whole number stored as a float (2024.0) becomes "2024"."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return None if value is None else (str(value).strip() or None)


# --- Header and columns ---------------------------------------------------------------------


def _normalise(header: str) -> str:
    """Comparison key for headers: `fold` without spaces, '_' or '.' ("Nb @" = "nb@")."""
    return re.sub(r"[\s_.]", "", fold(header))


def _header_candidates() -> dict[str, list[str]]:
    """Normalised header → the columns it may name, in `HEADER_SPELLINGS` order."""
    candidates: dict[str, list[str]] = {}
    for column, spellings in HEADER_SPELLINGS.items():
        for spelling in spellings:
            key = _normalise(spelling)
            if column not in candidates.setdefault(key, []):
                candidates[key].append(column)
    return candidates


_HEADER_CANDIDATES = _header_candidates()


def _candidates(cell) -> list[str]:
    return _HEADER_CANDIDATES.get(_normalise(cell), []) if isinstance(cell, str) else []


def _find_header(rows: Rows) -> int | None:
    """Index of the first row, among the first few, naming both a name and an edition column."""
    return tabular.find_header(rows, _names_name_and_edition, HEADER_SEARCH_ROWS)


def _names_name_and_edition(cells: list) -> bool:
    return {"name", "edition"} <= {column for cell in cells for column in _candidates(cell)}


def _header_index(path: Path, rows: Rows) -> int:
    """The header row, or the first non-empty row when none is recognised (for the error)."""
    found = _find_header(rows)
    if found is None:
        found = tabular.first_filled(rows)
    if found is None:
        raise InputError(path, "the file is empty")
    return found


def _map_columns(path: Path, header_row: int, headers: list, data: list) -> dict[str, int]:
    """Canonical column → index in the file's rows; unknown headers are ignored."""
    mapping: dict[str, int] = {}
    ambiguous = []

    def assign(column: str, index: int) -> None:
        if column in mapping:
            raise InputError(
                path,
                f"columns {headers[mapping[column]]!r} and "
                f"{headers[index]!r} both give the {column}: keep only one",
                row=header_row,
            )
        mapping[column] = index

    for index, cell in enumerate(headers):
        candidates = _candidates(cell)
        if len(candidates) == 1:
            assign(candidates[0], index)
        elif candidates:
            ambiguous.append((index, candidates))
    for index, candidates in ambiguous:
        assign(
            _assign_ambiguous(
                candidates,
                [cells[index] if index < len(cells) else None for _, cells in data],
                mapping,
            ),
            index,
        )
    missing = [column for column in REQUIRED if column not in mapping]
    if missing:
        found = ", ".join(repr(cell) for cell in headers if cell is not None) or "none"
        wanted = "; ".join(
            f"{column} (headers accepted: {', '.join(HEADER_SPELLINGS[column])})"
            for column in missing
        )
        raise InputError(
            path, f"missing required column(s): {wanted}. Headers found: {found}", row=header_row
        )
    return mapping


def _assign_ambiguous(candidates: list[str], values: list, taken: dict[str, int]) -> str:
    """Column for a header like "Label": the first free candidate whose values all fit it.

    Years fit edition, levels fit arobases, anything fits the other columns; a column with no
    value fits nothing but the last candidate. When no free candidate fits, the last free one
    is chosen so that its own row checks report the offending cell.
    """
    filled = [value for value in values if isinstance(value, str)]
    free = [column for column in candidates if column not in taken] or candidates[-1:]
    for column in free:
        if column == "edition" and filled and all(_is_year(value) for value in filled):
            return column
        if column == "arobases" and filled and all(_fits_level(value) for value in filled):
            return column
        if column not in ("edition", "arobases"):
            return column
    return free[-1]


# --- Rows -----------------------------------------------------------------------------------


def _canonical_records(path: Path, rows: Rows) -> Rows:
    """(row number, values) for each data row; blank rows are not data rows."""
    header = _header_index(path, rows)
    header_row, headers = rows[header]
    data = [
        (number, cells)
        for number, cells in rows[header + 1 :]
        if any(cell is not None for cell in cells)
    ]
    mapping = _map_columns(path, header_row, headers, data)
    data = [
        (number, cells)
        for number, cells in data
        if not _is_example(path, number, cells, headers, mapping)
    ]
    if not data:
        raise InputError(path, f"no data rows under the header (row {header_row})")
    return [(number, _canonical_record(path, number, cells, mapping)) for number, cells in data]


def _canonical_record(path: Path, number: int, cells: list, mapping: dict[str, int]) -> list:
    """One file row → the values of `CANONICAL_COLUMNS` after source_file and source_row."""

    def cell(column: str) -> str | None:
        index = mapping.get(column)
        value = cells[index] if index is not None and index < len(cells) else None
        if isinstance(value, Formula):
            raise InputError(
                path,
                f"cell {value.coordinate} holds a formula ({value.text}); "
                "formulas are not read: replace them by their values",
                row=number,
            )
        return value

    published = cell("name")
    if published is None:
        raise InputError(path, "no collectivity name", row=number)
    name, suffix_departement = _split_departement(published)
    try:
        return [
            _edition(cell("edition")),
            published,
            name,
            cell("departement") or suffix_departement,
            _kind(cell("kind")),
            _level(cell("arobases")),
            cell("distinction"),
            cell("code"),
            cell("source_url"),
            cell("quote"),
            cell("note"),
        ]
    except ValueError as exc:
        raise InputError(path, str(exc), row=number) from None


def _is_example(
    path: Path, number: int, cells: list, headers: list, mapping: dict[str, int]
) -> bool:
    """Is this row the template's example (its note is the example's), left unchanged?

    A changed example is refused rather than skipped (its changes would be lost) or read (it
    says it is not data); columns the file does not have are not compared.
    """
    values = {
        column: cells[index] if index < len(cells) else None for column, index in mapping.items()
    }
    note = values.get("note")
    if not isinstance(note, str) or _words(note) != _words(TEMPLATE_EXAMPLE["note"]):
        return False
    changed = [
        repr(headers[mapping[column]])
        for column, value in values.items()
        if value != TEMPLATE_EXAMPLE[column]
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


def _split_departement(published: str) -> tuple[str, str | None]:
    """ "Lille (59)" → ("Lille", "59"); any other name is returned unchanged."""
    match = _DEPARTEMENT_SUFFIX.search(published)
    if match is None:
        return published, None
    return published[: match.start()], match.group(1).upper()


def _is_year(value: str) -> bool:
    match = _INTEGER.fullmatch(value)
    return match is not None and len(match.group(1)) == 4


def _edition(value: str | None) -> int:
    """The label year, between the first edition (1999) and the current year."""
    if value is None:
        raise ValueError("no edition (label year)")
    if not _is_year(value):
        raise ValueError(f"edition {value!r} is not a year")
    year = int(_INTEGER.fullmatch(value).group(1))
    current = dt.date.today().year
    if year < FIRST_EDITION:
        raise ValueError(f"edition {year} is before the first label ({FIRST_EDITION})")
    if year > current:
        raise ValueError(f"edition {year} is in the future (this is {current})")
    return year


def _level(value: str | None) -> int | None:
    """@ level: 1-5 written "5", "5 @", "5@", "5 arobases" or "@@@@@"; 0 for a mention.

    An empty cell means the source does not give the level: it stays unknown (None).
    """
    if value is None:
        return None
    compact = re.sub(r"\s", "", value).casefold()
    if compact == "mention":
        return 0
    if set(compact) == {"@"}:
        level = len(compact)
    else:
        match = _LEVEL_NUMBER.fullmatch(compact)
        level = int(match.group(1)) if match else None
    if level is None or level > 5:
        raise ValueError(
            f"unknown @ level {value!r}: expected 1 to 5 @ (or 'mention'), "
            "or an empty cell when the level is unknown"
        )
    return level


def _fits_level(value: str) -> bool:
    try:
        _level(value)
    except ValueError:
        return False
    return True


def _kind(value: str | None) -> str | None:
    """ville, village or territoire from the French spellings users write."""
    if value is None:
        return None
    key = " ".join(fold(value).split())
    for kind, spellings in KIND_SPELLINGS.items():
        if any(key == spelling or key.startswith(spelling + " ") for spelling in spellings):
            return kind
    raise ValueError(
        f"unknown category {value!r}: expected Ville, Village or Territoire "
        "(EPCI, intercommunalité, communauté ...)"
    )
