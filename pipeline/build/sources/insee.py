"""Illectronism figures: the curated CSV, INSEE figure downloads, and their geography.

Files (data/raw/insee/, listed with their provenance in manifest.json, by role):

- ``illectronism_figures``: ``illectronism.csv``, figures collected from INSEE publications and
  a few other producers, one sourced figure per row (see NOTES.md §7 for its conventions).
  Read by `read_illectronism_csv`.
- ``insee_figure_download``: the data of one figure of an INSEE publication, as a researcher
  downloads it from insee.fr (the "Télécharger" button under a figure) or a faithful copy of it.
  Read by `read_insee_figure`. The file itself does not say what it measures: its manifest
  entry carries that under the key ``"figure"`` (indicator, year, definition, scope, source
  URL...), the dictionary `ingest_metadata` validates. ``palmares ingest`` adds such files under
  ``imports/`` (see "Routing a download" below).
- ``epci_vintage``: ``epci_2019.json``, the EPCI à fiscalité propre of 1 January 2019 with their
  member communes (DGCL list via npm @etalab/decoupage-administratif 0.7.0, Licence Ouverte),
  the geography of the 2019 figures. Derived by `refresh_epci_vintage` (maintainers, needs npm).
- ``notes``: NOTES.md, the research notes: definitions, publications, conventions.

Formats read by `read_insee_figure` (all give the same canonical rows, `FIGURE_COLUMNS`):

- CSV as insee.fr serves it: ``;`` separated (``,`` and tab also recognised), UTF-8 with or
  without BOM or Windows-1252, title rows above the table and "Champ : / Source : / Lecture :"
  rows below it, decimal commas, spaces, U+00A0 or U+202F as thousands separators;
- XLSX (first sheet, same layout; numeric cells taken as they are, formulas refused);
- the JSON copy shape: a list of objects keyed by the same headers (``[{"Code EPCI":
  200018083, "Libellé EPCI": "...", "Taux (en %)": "18,7", "Nombre": "3 346"}]``).

Headers are matched ignoring case and accents: a code column ("Code EPCI", "Code région",
"Code département", "SIREN EPCI"...) gives the geographic level; "Libellé ..." / "Nom ..." the
name as published; "Taux ..." / "Part ..." / "... (en %)" a rate in percent; "Nombre ..." /
"Effectif ..." a count of persons. Anything that cannot be read without guessing is refused
with `InputError` (file, row as an editor shows it, problem): a missing code or value column,
several rate columns, a value such as "18.7" in a file that writes decimals with a comma, or
"abc", a rate outside 0-100, a code of the wrong shape, the same code twice; codes unknown to
the reference geography are refused when the figure is checked (`check_figure`, the build).

The table (`assemble_illectronism` → warehouse table ``illectronism``, schema.sql) has one row
per figure. Rules, all written here so they can be read and tested:

- second-hand: NOTES.md marks a figure read in a relay (press, blog, GitHub copy) rather than
  on the producer's page by a bracketed note in ``publication`` ("[repris par Weka]",
  "[cité par ...]", "[citation tierce ...]"); a few rows say it in parentheses or plain text
  ("(repris par ...)", "cité par Sénat ...", "valeurs lues dans la copie du dépôt GitHub ...").
  Any of these makes ``is_second_hand`` true and ``relayed_by`` the relay as written. A figure
  download is second-hand when its metadata names ``second_hand_via``.
- definition_version (skills indicators only: illectronism, skills, capacities, mastery):
  Insee Focus n°376 → 2025 (16-74 year-olds); otherwise data up to 2019 → 2019 (4 domains,
  no use in 12 months: IP 1780, Insee Références 2019, the regional studies of 2019 data,
  Insee Analyses n°85); data 2020 onwards → 2021 (5 domains, 3 months: IP 1953, data 2023).
  Eurostat DSI indicators → eurostat_dsi_v1 (up to 2019) or eurostat_dsi_2. Other indicators
  (Internet access, use...) have none (NULL).
- estimation: "modelled" for an indicator named ``*_modelled`` and for every sub-national INSEE
  figure of 2019 data (NOTES.md §2: regional samples are too small, INSEE's regional studies
  apply a scoring model to the census); INSEE figures by type of urban area (Insee Analyses
  n°85) "not_stated"; the other INSEE, Eurostat, CREDOC and Défenseur des droits figures
  "survey"; a producer not known here "not_stated".
- population_scope: the published text normalised by `normalise_scope` (15+, 16-74, 15+
  internet users, households...); the text is kept in ``population_scope_published``.
- geography: régions, départements and Paris arrondissements join the COG 2026 reference by
  code. EPCI codes are read in the geography of their vintage (``code_vintage``: the data year,
  or the figure's ``geography_vintage``) and followed to today's EPCI through their member
  communes (``commune_code_map`` then ``epci_member`` of COG 2026): ``same_code`` (same SIREN,
  same communes), ``same_communes_new_code``, ``same_code_changed`` (same SIREN today,
  communes gained or lost: the note says which), ``absorbed`` (all its communes now in one
  larger EPCI: attached to it, territory differs), ``split`` (communes now in several EPCIs, the
  code gone: not attached), ``code_not_in_vintage`` (a code of today used for data of an
  earlier year). A figure whose published name says it covers part of the EPCI ("(partie
  Hauts-de-France)") is attached with ``same_territory`` false. ``same_territory`` is true only
  when the attached territory is exactly the figure's. Levels without a reference (country,
  urban_area_type, epci_group...) have NULL join columns; an EPCI published without a code
  stays unjoined (``no_code``).
- a figure download replaces the curated CSV's rows for the same figure (same year, level,
  code, breakdown, indicator, scope and definition) and a first-hand download replaces a
  second-hand one; the kept row's ``note`` names the rows replaced and their values. Two
  downloads of the same figure at the same rank are refused.

Routing a download (for ``palmares ingest``): `looks_like_insee_figure(path)` tells an INSEE
figure download from a palmarès export; `ingest_metadata(indicator=..., year=...,
definition=..., scope=..., source_url=..., ...)` validates what the user says about it (CLI
options ``--indicator --year --definition --scope --source-url``, optionally ``--publication
--estimation --geography-vintage --breakdown --breakdown-value --second-hand-via``) and raises
`MetadataError` with the option and the problem; `pipeline.build.ingest.ingest_figures(paths, [(file, metadata)],
reference, rebuild)` checks every file (format and codes) before copying anything, keeps it
byte for byte under data/raw/insee/imports/, lists it in the manifest with its metadata
(`figure_manifest_entry`), rebuilds, and restores the previous state if the rebuild fails.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import tempfile
import unicodedata
import zipfile
import zlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipeline.build import manifest
from pipeline.build.schema import schema_columns
from pipeline.errors import InputError
from pipeline.paths import COG_YEAR, Paths

TABLE = "illectronism"
DIRECTORY = "insee"  # under data/raw
IMPORTS = "imports"

ROLE_CURATED = "illectronism_figures"
ROLE_DOWNLOAD = "insee_figure_download"
ROLE_EPCI_VINTAGE = "epci_vintage"
ROLE_NOTES = "notes"
ROLES = (ROLE_CURATED, ROLE_DOWNLOAD, ROLE_EPCI_VINTAGE, ROLE_NOTES)

#: Geographic levels of the table; those with a reference geography are joined to COG 2026.
LEVELS = (
    "country",
    "region",
    "departement",
    "arrondissement",
    "epci",
    "epci_group",
    "infra_departement",
    "infra_region",
    "urban_area_type",
    "region_group",
    "supranational",
)
REFERENCE_LEVELS = ("region", "departement", "arrondissement", "epci")

DEFINITIONS = {
    "2019": "INSEE 2017-2019 (DSI v1): no Internet use in the last 12 months, or 0 in the four "
    "domains (information, communication, problem solving, software); Insee Première "
    "n°1780, Insee Références 2019, regional studies of 2019 data, Insee Analyses n°85",
    "2021": "INSEE 2021 (DSI 2.0): no Internet use in the last 3 months, or no basic skills in "
    "the five domains (privacy added); Insee Première n°1953 (15.4 % in 2021)",
    "2025": "INSEE 2025 indicator on 16-74 year-olds (Eurostat field), five domains; Insee Focus "
    "n°376",
    "eurostat_dsi_v1": "Eurostat Digital Skills Indicator, first version (up to 2019)",
    "eurostat_dsi_2": "Eurostat Digital Skills Indicator 2.0 (from 2021)",
}
#: What `ingest_metadata` accepts for a figure whose indicator is not about skills.
NO_DEFINITION = "not_applicable"

#: Normalised population scopes (besides age groups such as "75+" or "60-74").
SCOPES = {
    "15+": "personnes de 15 ans ou plus (champ TIC-ménages : ménages ordinaires, hors Mayotte)",
    "15+ internet users": "usagers d'Internet de 15 ans ou plus",
    "15+ employed": "personnes en emploi de 15 ans ou plus",
    "15+ with home access": "15 ans ou plus disposant d'Internet à domicile",
    "15+ without home access": "15 ans ou plus sans accès à Internet à domicile",
    "16-74": "16 à 74 ans (champ Eurostat)",
    "12+": "12 ans et plus (Baromètre du numérique)",
    "18+": "18 ans et plus",
    "18-79": "18 à 79 ans (Défenseur des droits)",
    "households": "ménages",
    "households without home access": "ménages sans accès à Internet à domicile",
    "illectronic people": "personnes en situation d'illectronisme",
    "individuals": "individus (âges non précisés)",
    "students": "étudiants",
    "not_stated": "population non précisée par la source",
}
_AGE_SCOPE = re.compile(r"\d{2}(-\d{2}|\+)")

ESTIMATIONS = ("survey", "modelled", "not_stated")
UNITS = ("percent", "persons", "thousand_persons", "million_persons")

#: Header of the curated CSV, in this order.
CURATED_HEADER = [
    "year",
    "geography_level",
    "geography_code",
    "geography_name",
    "breakdown",
    "breakdown_value",
    "indicator",
    "value_pct",
    "population_scope",
    "publication",
    "source_url",
    "quote",
]

#: Columns of the frame `read_insee_figure` returns, whatever the file format.
FIGURE_COLUMNS = [
    "source_file",
    "source_row",
    "geography_level",
    "geography_code",
    "geography_name",
    "measure",
    "value",
    "value_published",
    "cells",
]

#: EPCI lists by vintage: year → npm version of @etalab/decoupage-administratif holding the DGCL
#: list of 1 January of that year (0.3.0 to 0.7.0 ship the same epci.json, 1259 EPCI).
EPCI_VINTAGE_VERSIONS = {2019: "0.7.0"}

FIRST_YEAR = 2000
HEADER_SEARCH_ROWS = 15
CSV_SEPARATORS = (";", "\t", ",")
#: Cells INSEE writes for a value it does not publish (secret, not available, not significant).
MISSING_MARKERS = {"s", "nd", "n.d.", "n.d", "ns", "n.s.", "///", "-", "–", "—", "…", "..."}
#: First words of the notes INSEE puts under a table.
FOOTER_WORDS = (
    "source",
    "sources",
    "champ",
    "lecture",
    "note",
    "notes",
    "guide de lecture",
    "definition",
    "definitions",
    "avertissement",
    "*",
    "(",
)
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009\u2007]")

_SKILLS_INDICATOR = re.compile(r"illectron|skill|capacit|mastery")
#: Skills indicators that are self-assessments, outside INSEE's illectronism definitions.
_SELF_ASSESSED = {"very_weak_or_no_computer_skills"}


class MetadataError(ValueError):
    """What a user says about a figure download is missing or invalid (names the option)."""


# --- Text helpers ---------------------------------------------------------------------------


def _fold(text: str) -> str:
    """Lower case without accents, typographic apostrophes and dashes made plain, spaces single."""
    text = unicodedata.normalize("NFKD", str(text).replace("’", "'").replace("–", "-"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    return " ".join(_SPACES.sub(" ", text).split())


def normalise_scope(published: str) -> str:
    """The normalised population scope of a published description (see `SCOPES`).

    Ordered rules on the folded text; a description none of them recognises is "not_stated"
    (the published text is always kept beside it).
    """
    text = _fold(published)
    rules = (
        (r"16 ?(-|a) ?74", "16-74"),
        (r"18 ?- ?79", "18-79"),
        (r"18 ans et plus", "18+"),
        (r"\b12 ans", "12+"),
        (r"usagers d.internet|internautes", "15+ internet users"),
        (r"personnes en illectronisme", "illectronic people"),
        (r"menages sans acces", "households without home access"),
        (r"sans acces a domicile", "15+ without home access"),
        (r"avec internet a domicile", "15+ with home access"),
        (r"en emploi", "15+ employed"),
        (r"^menages", "households"),
        (r"15 ans ou plus|plus de 15 ans", "15+"),
        (r"^etudiants", "students"),
        (r"^individus", "individuals"),
    )
    for pattern, scope in rules:
        if re.search(pattern, text):
            return scope
    if match := re.match(r"(\d{2}) ans ou plus", text):
        return f"{match[1]}+"
    if match := re.match(r"(\d{2}) ?- ?(\d{2}) ans", text):
        return f"{match[1]}-{match[2]}"
    return "not_stated"


def _valid_scope(scope: str) -> bool:
    return scope in SCOPES or bool(_AGE_SCOPE.fullmatch(scope))


def is_skills_indicator(indicator: str) -> bool:
    """Does the indicator depend on a definition of digital skills (and so on its version)?"""
    return bool(_SKILLS_INDICATOR.search(indicator)) and indicator not in _SELF_ASSESSED


def second_hand(publication: str) -> tuple[bool, str | None]:
    """(is second-hand, relay as written) from a curated row's `publication` (rule above)."""
    if match := re.search(r"\[([^\]]+)\]", publication):
        return True, match[1].strip()
    for part in re.findall(r"\(([^()]*)\)", publication):
        if re.search(r"\b(repris|reprise|cit[ée]e?)\b", part, flags=re.IGNORECASE):
            return True, part.strip()
    if match := re.search(
        r"\b((?:cit[ée]e?|repris|reprise) par\b.*|valeurs lues dans la "
        r"copie\b.*)$",
        publication,
        flags=re.IGNORECASE,
    ):
        return True, match[1].strip()
    return False, None


#: Producer of a curated row, from the start of its publication (first match).
_PRODUCERS = (
    (r"^Insee\b", "INSEE"),
    (r"^EIGE\b", "EIGE (Eurostat data)"),
    (r"^Eurostat\b", "Eurostat"),
    (r"^D[ée]fenseur des droits\b", "Défenseur des droits"),
    (r"^Baromètre du numérique\b", "CREDOC (Baromètre du numérique)"),
    (r"^ANCT/CREDOC", "ANCT / CREDOC / CREAD-M@rsouin"),
    (r"^Étude Capgemini\b", "Capgemini Consulting (for Emmaüs Connect and WeTechCare)"),
)


def producer_of(publication: str) -> str:
    for pattern, producer in _PRODUCERS:
        if re.search(pattern, publication):
            return producer
    return re.split(r"\s[\[(,—]", publication, maxsplit=1)[0].strip()


def definition_of(producer: str, indicator: str, year: int, publication: str) -> str | None:
    """The definition version of a curated figure (rule in the module docstring)."""
    if indicator.startswith("eurostat_dsi"):
        return "eurostat_dsi_v1" if year <= 2019 else "eurostat_dsi_2"
    if producer != "INSEE" or not is_skills_indicator(indicator):
        return None
    if re.search(r"Focus n°\s*376", publication):
        return "2025"
    return "2019" if year <= 2019 else "2021"


def estimation_of(producer: str, indicator: str, year: int, level: str) -> str:
    """Modelled, survey or not stated (rule in the module docstring)."""
    if indicator.endswith("_modelled"):
        return "modelled"
    if producer == "INSEE":
        if year == 2019 and level not in (
            "country",
            "region_group",
            "supranational",
            "urban_area_type",
        ):
            return "modelled"
        return "not_stated" if level == "urban_area_type" else "survey"
    if producer.startswith(("Eurostat", "EIGE", "CREDOC", "ANCT", "Défenseur")):
        return "survey"
    return "not_stated"


# --- Curated CSV ----------------------------------------------------------------------------

_NUMBER = r"(\d+(?:\.\d+)?)"
_TAIL = r"(?:\s*\(.*\))?"
_VALUE_FORMS = (
    ("exact", re.compile(_NUMBER)),
    ("approximate", re.compile(r"~\s*" + _NUMBER + _TAIL)),
    ("range", re.compile(_NUMBER + r"\s*-\s*" + _NUMBER + _TAIL)),
    ("below", re.compile(r"<\s*" + _NUMBER + _TAIL)),
    ("above", re.compile(r">\s*" + _NUMBER + _TAIL)),
)


def parse_curated_value(text: str) -> tuple[str, float | None, float | None, float | None]:
    """(value_kind, value, value_low, value_high) of a curated `value_pct` cell.

    "17" exact; "~25 (près d'un sur quatre)" approximate 25; "20-23" range; "<5" below 5;
    ">400" above 400. Raises ValueError for anything else (a decimal comma included).
    """
    text = text.strip()
    for kind, pattern in _VALUE_FORMS:
        match = pattern.fullmatch(text)
        if not match:
            continue
        numbers = [float(group) for group in match.groups()]
        if kind == "exact" or kind == "approximate":
            return kind, numbers[0], None, None
        if kind == "range":
            low, high = numbers
            if low > high:
                raise ValueError(f"range {text!r} goes down")
            return kind, None, low, high
        if kind == "below":
            return kind, None, None, numbers[0]
        return kind, None, numbers[0], None
    hint = " (this file writes decimals with a point: 16.5)" if re.search(r"\d,\d", text) else ""
    raise ValueError(f"value {text!r} is not a number, '~N (...)', 'N-M', '<N' or '>N'{hint}")


def _unit_of(indicator: str, scope_published: str) -> str:
    if indicator.endswith("_millions") or "MILLIONS" in scope_published:
        return "million_persons"
    if indicator.endswith("_thousands") or "MILLIERS" in scope_published:
        return "thousand_persons"
    return "percent"


def read_illectronism_csv(path: Path, source_file: str | None = None) -> pd.DataFrame:
    """Read the curated CSV into typed rows: the table's columns but the geography join ones.

    Raises `InputError` (file, row, problem) for a wrong header, a missing required cell, an
    unknown level, a year outside 2000-now, an indicator not in snake_case, or a value that
    does not parse (see `parse_curated_value`) or is not a percentage where one is expected.
    """
    path = Path(path)
    text = _decode(path)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise InputError(path, f"malformed CSV ({exc})", row=reader.line_num) from None
    if not rows or rows[0] != CURATED_HEADER:
        found = rows[0] if rows else []
        raise InputError(
            path,
            f"header must be {','.join(CURATED_HEADER)} (found {','.join(found) or 'nothing'})",
            row=1,
        )
    required = (
        "year",
        "geography_level",
        "geography_name",
        "breakdown",
        "breakdown_value",
        "indicator",
        "value_pct",
        "population_scope",
        "publication",
        "source_url",
    )
    this_year = dt.date.today().year
    records = []
    for number, cells in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(CURATED_HEADER):
            raise InputError(
                path, f"{len(cells)} fields, expected {len(CURATED_HEADER)}", row=number
            )
        raw = dict(zip(CURATED_HEADER, (cell.strip() for cell in cells)))
        for column in required:
            if not raw[column]:
                raise InputError(path, f"empty {column}", row=number)
        try:
            year = int(raw["year"])
        except ValueError:
            raise InputError(path, f"year {raw['year']!r} is not a year", row=number) from None
        if not FIRST_YEAR <= year <= this_year:
            raise InputError(path, f"year {year} outside {FIRST_YEAR}-{this_year}", row=number)
        level = raw["geography_level"]
        if level not in LEVELS:
            raise InputError(
                path, f"unknown geography_level {level!r} (known: {', '.join(LEVELS)})", row=number
            )
        indicator = raw["indicator"]
        if not re.fullmatch(r"[a-z][a-z0-9_]*", indicator):
            raise InputError(path, f"indicator {indicator!r} is not snake_case", row=number)
        try:
            kind, value, low, high = parse_curated_value(raw["value_pct"])
        except ValueError as exc:
            raise InputError(path, str(exc), row=number) from None
        unit = _unit_of(indicator, raw["population_scope"])
        if unit == "percent" and any(
            v is not None and not 0 <= v <= 100 for v in (value, low, high)
        ):
            raise InputError(
                path,
                f"value {raw['value_pct']!r} is not a percentage (0-100); "
                "counts need an indicator ending in _thousands or _millions",
                row=number,
            )
        producer = producer_of(raw["publication"])
        is_second, relay = second_hand(raw["publication"])
        records.append(
            {
                "source_file": source_file if source_file is not None else str(path),
                "source_row": number,
                "year": year,
                "geography_level": level,
                "geography_code": raw["geography_code"] or None,
                "geography_name": raw["geography_name"],
                "code_vintage": year
                if level in REFERENCE_LEVELS and raw["geography_code"]
                else None,
                "breakdown": raw["breakdown"],
                "breakdown_value": raw["breakdown_value"],
                "indicator": indicator,
                "value": value,
                "value_kind": kind,
                "value_low": low,
                "value_high": high,
                "value_published": raw["value_pct"],
                "unit": unit,
                "population_scope": normalise_scope(raw["population_scope"]),
                "population_scope_published": raw["population_scope"],
                "definition_version": definition_of(producer, indicator, year, raw["publication"]),
                "estimation": estimation_of(producer, indicator, year, level),
                "producer": producer,
                "publication": raw["publication"],
                "source_url": raw["source_url"],
                "quote": raw["quote"] or None,
                "is_second_hand": is_second,
                "relayed_by": relay,
                "note": None,
            }
        )
    return pd.DataFrame.from_records(records, columns=_FIGURE_TABLE_COLUMNS)


# --- INSEE figure downloads: formats --------------------------------------------------------


@dataclass
class _Table:
    """Header and data rows of a file, whatever its format."""

    header_row: int | None  # None: JSON, where every object carries its keys
    headers: list
    rows: list[tuple[int, list]]  # (row number as an editor shows it, cells)


@dataclass(frozen=True)
class _Formula:
    coordinate: str


def _decode(path: Path) -> str:
    """UTF-8 (with or without BOM) strictly first, then Windows-1252."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(path, f"cannot read the file ({exc.strerror or exc})") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise InputError(path, "not a text file in UTF-8 or Windows-1252") from None
    if any(ch < " " and ch not in "\t\r\n" for ch in text):
        raise InputError(path, "not a text file (it holds binary data)")
    return text


def _csv_table(path: Path) -> _Table:
    text = _decode(path)
    parsed = []
    for separator in CSV_SEPARATORS:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
        rows = []
        try:
            for number, cells in enumerate(reader, start=1):
                rows.append((number, [cell.strip() or None for cell in cells]))
        except csv.Error as exc:
            raise InputError(path, f"malformed CSV ({exc})", row=len(rows) + 1) from None
        if (found := _find_header(rows)) is not None:
            return _split(rows, found)
        parsed.append(rows)
    # No header recognised: keep the split with most columns, so the error lists the headers.
    return _split(max(parsed, key=lambda rows: max((len(c) for _, c in rows[:5]), default=0)), None)


def _xlsx_table(path: Path) -> _Table:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(path, data_only=False, read_only=False)
        sheet = workbook.worksheets[0]
        rows = []
        for number, cells in enumerate(sheet.iter_rows(), start=1):
            values = []
            for cell in cells:
                if cell.data_type == "f":
                    values.append(_Formula(cell.coordinate))
                elif isinstance(cell.value, str):
                    values.append(cell.value.strip() or None)
                else:
                    values.append(cell.value)
            rows.append((number, values))
    except OSError as exc:
        raise InputError(path, f"cannot read the file ({exc.strerror or exc})") from None
    except (zipfile.BadZipFile, InvalidFileException):
        raise InputError(
            path, "not a valid Excel workbook (.xlsx): save it again as .xlsx or CSV"
        ) from None
    except (KeyError, IndexError, ValueError, SyntaxError, zlib.error) as exc:
        raise InputError(path, f"damaged Excel workbook ({type(exc).__name__}: {exc})") from None
    return _split(rows, _find_header(rows))


def _json_table(path: Path) -> _Table:
    """A list of objects; each object's row is the line where it starts."""
    text = _decode(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(path, f"not valid JSON ({exc.msg})", row=exc.lineno) from None
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise InputError(
            path,
            "a JSON figure must be a list of objects keyed by the table's "
            'headers ([{"Code EPCI": ..., "Taux (en %)": ...}])',
        )
    decoder, position, lines = json.JSONDecoder(), text.index("[") + 1, []
    skip = re.compile(r"[\s,]*")
    for _ in data:
        position = skip.match(text, position).end()
        lines.append(text.count("\n", 0, position) + 1)
        _, position = decoder.raw_decode(text, position)
    headers: list[str] = []
    for item in data:
        headers.extend(key for key in item if key not in headers)
    rows = [(line, [item.get(key) for key in headers]) for line, item in zip(lines, data)]
    return _Table(None, headers, rows)


def _split(rows: list[tuple[int, list]], header_index: int | None) -> _Table:
    if header_index is None:  # no header recognised: the first non-empty row, for the errors
        header_index = next(
            (i for i, (_, cells) in enumerate(rows) if any(c is not None for c in cells)), None
        )
        if header_index is None:
            return _Table(rows[0][0] if rows else 1, [], [])
    number, headers = rows[header_index]
    return _Table(number, list(headers), rows[header_index + 1 :])


# --- INSEE figure downloads: columns --------------------------------------------------------

_CODE_LEVELS = (
    ("epci", "epci"),
    ("interco", "epci"),
    ("region", "region"),
    ("departement", "departement"),
)
_NAME_EXACT = {
    "territoire",
    "intercommunalite",
    "epci",
    "region",
    "departement",
    "zone",
    "zonage",
    "nom",
}


def _column_kind(header) -> tuple[str, str | None] | None:
    """("code", level), ("name", None), ("rate", None), ("count", None), or None."""
    if not isinstance(header, str):
        return None
    text = _fold(header)
    if "@" in text or "arobase" in text:  # a palmarès level ("Nb @"), never an INSEE value
        return None
    if re.match(r"(code|siren|cod)\b", text):
        for word, level in _CODE_LEVELS:
            if word in text:
                return "code", level
        return None
    if text.startswith(("libelle", "nom ")) or text in _NAME_EXACT:
        return "name", None
    if (
        text.startswith(("taux", "part ", "part(", "proportion", "pourcentage"))
        or text == "part"
        or "(en %)" in text
        or text in ("%", "en %")
    ):
        return "rate", None
    if text.startswith(("nombre", "effectif", "nb ")):
        return "count", None
    return None


def _kinds(headers: list) -> dict[str, list[tuple[int, str | None]]]:
    found: dict[str, list] = defaultdict(list)
    for index, header in enumerate(headers):
        if kind := _column_kind(header):
            found[kind[0]].append((index, kind[1]))
    return found


def _find_header(rows: list[tuple[int, list]]) -> int | None:
    for index, (_, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        kinds = _kinds(cells)
        if kinds.get("code") and (kinds.get("rate") or kinds.get("count")):
            return index
    return None


@dataclass(frozen=True)
class _Columns:
    level: str
    code: int
    name: int | None
    rate: int | None
    count: int | None


def _columns(path: Path, table: _Table) -> _Columns:
    kinds = _kinds(table.headers)
    found = ", ".join(repr(h) for h in table.headers if h is not None) or "none"
    codes, rates, counts = kinds.get("code", []), kinds.get("rate", []), kinds.get("count", [])
    if not codes:
        raise InputError(
            path,
            "no code column: expected 'Code EPCI', 'Code région' or 'Code "
            f"département' (headers found: {found})",
            row=table.header_row,
        )
    if len(codes) > 1:
        raise InputError(
            path,
            "several code columns ("
            + ", ".join(repr(table.headers[i]) for i, _ in codes)
            + "): keep one",
            row=table.header_row,
        )
    if not rates and not counts:
        raise InputError(
            path,
            "no value column: expected a rate ('Taux (en %)', 'Part ...') or "
            f"a count ('Nombre ...') (headers found: {found})",
            row=table.header_row,
        )
    for kind, columns in (("rate", rates), ("count", counts)):
        if len(columns) > 1:
            raise InputError(
                path,
                f"several {kind} columns ("
                + ", ".join(repr(table.headers[i]) for i, _ in columns)
                + "): a figure download gives one "
                "indicator; save each column in its own file",
                row=table.header_row,
            )
    names = kinds.get("name", [])
    name = next(
        (i for i, _ in names if _fold(table.headers[i]).startswith("libelle")),
        names[0][0] if names else None,
    )
    ((code, level),) = codes
    return _Columns(
        level, code, name, rates[0][0] if rates else None, counts[0][0] if counts else None
    )


# --- INSEE figure downloads: values ---------------------------------------------------------

_CODE_SHAPES = {
    "epci": (re.compile(r"\d{9}"), "a 9-digit SIREN"),
    "region": (re.compile(r"\d{2}"), "a 2-digit région code"),
    "departement": (re.compile(r"\d{2}|2[AB]|97\d"), "a département code (01-95, 2A, 2B, 971-976)"),
}


def _code(path: Path, level: str, cell, row: int) -> str:
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    text = _SPACES.sub("", str(cell)).upper()
    if re.fullmatch(r"\d", text) and level in ("region", "departement"):
        text = text.zfill(2)  # a spreadsheet dropped the leading zero
    pattern, shape = _CODE_SHAPES[level]
    if not pattern.fullmatch(text):
        raise InputError(path, f"{level} code {cell!r} is not {shape}", row=row)
    return text


def _published(cell) -> str:
    return cell if isinstance(cell, str) else repr(cell) if isinstance(cell, float) else str(cell)


class _DecimalMark:
    """The file's decimal separator, set by its first decimal number and then enforced."""

    def __init__(self, path: Path):
        self.path, self.mark, self.example = path, None, None

    def check(self, text: str, row: int, header: str) -> None:
        mark = "," if "," in text else "." if "." in text else None
        if mark is None:
            return
        if self.mark is None:
            self.mark, self.example = mark, (text, row)
        elif mark != self.mark:
            written = "a comma" if self.mark == "," else "a point"
            raise InputError(
                self.path,
                f"value {text!r} in column {header!r} has a decimal "
                f"{'point' if mark == '.' else 'comma'}, but this file writes "
                f"decimals with {written} ({self.example[0]!r} in row "
                f"{self.example[1]}): correct the value or export the file again",
                row=row,
            )


def _rate(path: Path, cell, row: int, header: str, marks: _DecimalMark) -> float | None:
    if isinstance(cell, bool):
        raise InputError(path, f"value {cell!r} in column {header!r} is not a number", row=row)
    if isinstance(cell, (int, float)):
        value = float(cell)
    else:
        text = _SPACES.sub("", str(cell)).removesuffix("%")
        if text.casefold() in MISSING_MARKERS:
            return None
        if not re.fullmatch(r"-?\d+([.,]\d+)?", text):
            raise InputError(path, f"value {cell!r} in column {header!r} is not a number", row=row)
        marks.check(text, row, header)
        value = float(text.replace(",", "."))
    if not 0 <= value <= 100:
        raise InputError(path, f"rate {cell!r} in column {header!r} is outside 0-100", row=row)
    return value


def _count(path: Path, cell, row: int, header: str) -> float | None:
    if isinstance(cell, bool):
        raise InputError(path, f"value {cell!r} in column {header!r} is not a number", row=row)
    if isinstance(cell, (int, float)):
        if float(cell) != int(cell) or cell < 0:
            raise InputError(
                path, f"count {cell!r} in column {header!r} is not a whole number", row=row
            )
        return float(cell)
    text = _SPACES.sub("", str(cell))
    if text.casefold() in MISSING_MARKERS:
        return None
    if not re.fullmatch(r"\d+", text):
        problem = (
            "is not a number"
            if not re.search(r"\d", text)
            else ("is not a whole number (INSEE separates thousands with spaces: 3 346)")
        )
        raise InputError(path, f"count {cell!r} in column {header!r} {problem}", row=row)
    return float(text)


def _is_footer(cells: list) -> bool:
    """A note under the table: one text cell starting "Source", "Champ", "Lecture"..."""
    filled = [c for c in cells if c is not None]
    return (
        len(filled) == 1
        and isinstance(filled[0], str)
        and _fold(filled[0]).startswith(FOOTER_WORDS)
    )


def read_insee_figure(path: Path, source_file: str | None = None) -> pd.DataFrame:
    """Read one INSEE figure download (CSV, XLSX or JSON copy) into `FIGURE_COLUMNS` rows.

    One row per table row and measure ("rate" in percent, "count" of persons). Checks the
    format only; codes are checked against the reference geography by `check_figure`.
    """
    path = Path(path)
    readers = {".csv": _csv_table, ".xlsx": _xlsx_table, ".json": _json_table}
    suffix = path.suffix.lower()
    if suffix not in readers:
        raise InputError(
            path,
            f"unsupported file type {suffix or '(no extension)'!r}: an INSEE "
            "figure download is read as .csv, .xlsx or .json",
        )
    table = readers[suffix](path)
    columns = _columns(path, table)
    headers = table.headers
    marks = _DecimalMark(path)
    seen: dict[str, int] = {}
    records = []
    for number, cells in table.rows:
        cells = list(cells) + [None] * (len(headers) - len(cells))
        if all(cell is None for cell in cells):
            continue
        for cell in cells:
            if isinstance(cell, _Formula):
                raise InputError(
                    path,
                    f"cell {cell.coordinate} holds a formula: save the workbook with values only",
                    row=number,
                )
        if _is_footer(cells):
            break  # the notes under the table: nothing after them is data
        code_cell = cells[columns.code]
        if code_cell is None:
            raise InputError(
                path, f"no {columns.level} code in column {headers[columns.code]!r}", row=number
            )
        code = _code(path, columns.level, code_cell, number)
        if code in seen:
            raise InputError(
                path,
                f"{columns.level} code {code} appears twice (rows {seen[code]} and {number})",
                row=number,
            )
        seen[code] = number
        name = cells[columns.name] if columns.name is not None else None
        quoted = "; ".join(
            f"{h}: {_published(c)}"
            for h, c in zip(headers, cells)
            if h is not None and c is not None
        )
        measures = (("rate", columns.rate), ("count", columns.count))
        for measure, index in measures:
            if index is None:
                continue
            cell, header = cells[index], str(headers[index])
            if cell is None:
                value, published = None, ""
            elif measure == "rate":
                value, published = _rate(path, cell, number, header, marks), _published(cell)
            else:
                value, published = _count(path, cell, number, header), _published(cell)
            records.append(
                [
                    source_file if source_file is not None else str(path),
                    number,
                    columns.level,
                    code,
                    None if name is None else str(name).strip(),
                    measure,
                    value,
                    published,
                    quoted,
                ]
            )
    if not records:
        raise InputError(path, "no data row under the header", row=table.header_row)
    return pd.DataFrame(records, columns=FIGURE_COLUMNS).astype({"value": "float64"})


def looks_like_insee_figure(path: Path) -> bool:
    """Is this file an INSEE figure download (a code column and a rate or count column)?

    Never raises: a file that cannot be read is not one (its own reader will say why).
    Palmarès exports have no code-of-EPCI/région/département column with a rate or count.
    """
    path = Path(path)
    readers = {".csv": _csv_table, ".xlsx": _xlsx_table, ".json": _json_table}
    reader = readers.get(path.suffix.lower())
    if reader is None:
        return False
    try:
        kinds = _kinds(reader(path).headers)
    except (InputError, OSError, ValueError):
        return False
    return bool(kinds.get("code") and (kinds.get("rate") or kinds.get("count")))


# --- Metadata of a figure download ----------------------------------------------------------


def _count_indicator(indicator: str) -> str:
    return indicator.replace("rate", "count", 1) if "rate" in indicator else f"{indicator}_count"


def ingest_metadata(
    *,
    indicator: str,
    year: int | str,
    definition: str,
    scope: str,
    source_url: str,
    publication: str | None = None,
    estimation: str | None = None,
    geography_vintage: int | str | None = None,
    breakdown: str | None = None,
    breakdown_value: str | None = None,
    count_indicator: str | None = None,
    second_hand_via: str | None = None,
    producer: str | None = None,
) -> dict:
    """Validate what a user says about a figure download; return it as the manifest keeps it.

    - indicator: snake_case name of what the rate column measures (illectronism_rate_modelled
      for INSEE's scoring-based EPCI rates); the count column, if any, becomes
      `count_indicator` (default: "rate" replaced by "count", e.g. illectronism_count_modelled).
    - year: year of the data (2019 for the regional studies published 2020-2023).
    - definition: 2019, 2021, 2025 (see `DEFINITIONS`), eurostat_dsi_v1/2, or "not_applicable"
      for an indicator that is not about skills (Internet access, use).
    - scope: a normalised population scope (`SCOPES`, or an age group such as "75+", "60-74").
    - source_url: the insee.fr page or figure (…/statistiques/4986976#tableau-figure6).
    - estimation: "modelled" or "survey" (default: modelled for an indicator ending in
      "_modelled", survey otherwise); geography_vintage: year of the codes (default: year).
    - second_hand_via: the relay when the file is a copy and not INSEE's own download.

    Raises `MetadataError` naming the option (as the CLI spells it) and the problem.
    """

    def fail(option: str, value, problem: str):
        raise MetadataError(f"--{option.replace('_', '-')} {value!r}: {problem}")

    indicator = (indicator or "").strip()
    if not re.fullmatch(r"[a-z][a-z0-9_]*", indicator):
        fail(
            "indicator",
            indicator,
            "give the indicator in snake_case, e.g. illectronism_rate_modelled",
        )
    this_year = dt.date.today().year
    try:
        year = int(year)
    except (TypeError, ValueError):
        fail("year", year, "not a year")
    if not FIRST_YEAR <= year <= this_year:
        fail("year", year, f"the year of the data must be in {FIRST_YEAR}-{this_year}")
    definition = str(definition or "").strip()
    if definition not in (*DEFINITIONS, NO_DEFINITION):
        fail(
            "definition",
            definition,
            "one of "
            + ", ".join((*DEFINITIONS, NO_DEFINITION))
            + " (2019: 4 domains, 12 months; 2021: 5 domains, 3 months; 2025: 16-74 year-olds)",
        )
    if definition == NO_DEFINITION and is_skills_indicator(indicator):
        fail(
            "definition",
            definition,
            f"{indicator} measures illectronism or digital skills: "
            "say which definition (2019, 2021 or 2025)",
        )
    scope = (scope or "").strip()
    if not _valid_scope(scope):
        fail(
            "scope", scope, "one of " + ", ".join(SCOPES) + ", or an age group such as 75+ or 60-74"
        )
    source_url = (source_url or "").strip()
    if not re.fullmatch(r"https?://\S+", source_url):
        fail("source_url", source_url, "give the http(s) URL of the page or figure")
    default_estimation = "modelled" if indicator.endswith("_modelled") else "survey"
    estimation = (estimation or default_estimation).strip()
    if estimation not in ("survey", "modelled"):
        fail("estimation", estimation, "modelled or survey")
    if indicator.endswith("_modelled") and estimation != "modelled":
        fail("estimation", estimation, f"{indicator} is named as a modelled indicator")
    vintage = year if geography_vintage in (None, "") else geography_vintage
    try:
        vintage = int(vintage)
    except (TypeError, ValueError):
        fail("geography_vintage", geography_vintage, "not a year")
    if not 1999 <= vintage <= this_year:
        fail("geography_vintage", vintage, f"must be in 1999-{this_year}")
    breakdown = (breakdown or "none").strip()
    breakdown_value = (breakdown_value or "all").strip()
    if breakdown == "none" and breakdown_value != "all":
        fail("breakdown_value", breakdown_value, "give --breakdown too (age, diploma, sex...)")
    if breakdown != "none" and breakdown_value == "all":
        fail("breakdown_value", breakdown_value, f"say which {breakdown} group the figure is for")
    count_indicator = (count_indicator or _count_indicator(indicator)).strip()
    if not re.fullmatch(r"[a-z][a-z0-9_]*", count_indicator) or count_indicator == indicator:
        fail("count_indicator", count_indicator, "a snake_case name other than the indicator")
    return {
        "indicator": indicator,
        "count_indicator": count_indicator,
        "year": year,
        "definition": definition,
        "scope": scope,
        "estimation": estimation,
        "geography_vintage": vintage,
        "breakdown": breakdown,
        "breakdown_value": breakdown_value,
        "source_url": source_url,
        "publication": (publication or "").strip() or f"Insee, données de figure ({source_url})",
        "producer": (producer or "").strip() or "INSEE",
        "second_hand_via": (second_hand_via or "").strip() or None,
    }


def figure_rows(figure: pd.DataFrame, metadata: dict) -> pd.DataFrame:
    """Table rows (without the geography join) of a figure read by `read_insee_figure`."""
    meta = ingest_metadata(**metadata)
    rate = figure["measure"] == "rate"
    relay = meta["second_hand_via"]
    return pd.DataFrame(
        {
            "source_file": figure["source_file"],
            "source_row": figure["source_row"],
            "year": meta["year"],
            "geography_level": figure["geography_level"],
            "geography_code": figure["geography_code"],
            "geography_name": figure["geography_name"].fillna(figure["geography_code"]),
            "code_vintage": meta["geography_vintage"],
            "breakdown": meta["breakdown"],
            "breakdown_value": meta["breakdown_value"],
            "indicator": rate.map({True: meta["indicator"], False: meta["count_indicator"]}),
            "value": figure["value"],
            "value_kind": figure["value"].isna().map({True: "missing", False: "exact"}),
            "value_low": None,
            "value_high": None,
            "value_published": figure["value_published"],
            "unit": rate.map({True: "percent", False: "persons"}),
            "population_scope": meta["scope"],
            "population_scope_published": meta["scope"],
            "definition_version": None
            if meta["definition"] == NO_DEFINITION
            else meta["definition"],
            "estimation": meta["estimation"],
            "producer": meta["producer"],
            "publication": meta["publication"],
            "source_url": meta["source_url"],
            "quote": figure["cells"],
            "is_second_hand": relay is not None,
            "relayed_by": relay,
            "note": None,
        }
    )[_FIGURE_TABLE_COLUMNS]


# --- Geography ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Join:
    current_code: str | None
    code_joined: bool | None
    same_territory: bool | None
    join_method: str
    join_note: str | None


_NO_REFERENCE = Join(None, None, None, "no_reference_level", None)


def _grouped(keys: Iterable[str], values: Iterable[str]) -> dict[str, frozenset]:
    grouped: dict[str, set] = defaultdict(set)
    for key, value in zip(keys, values):
        grouped[key].add(value)
    return {key: frozenset(group) for key, group in grouped.items()}


class Geography:
    """Joins published codes to COG 2026; EPCI codes through their vintage's member communes."""

    def __init__(self, reference: dict[str, pd.DataFrame], epci_vintages: dict[int, dict]):
        self.regions = set(reference["region"]["region_code"])
        self.departements = set(reference["departement"]["departement_code"])
        commune = reference["commune"]
        self.arrondissements = set(
            commune.loc[commune["commune_kind"] == "arrondissement", "commune_code"]
        )
        self.epci_names = dict(zip(reference["epci"]["epci_siren"], reference["epci"]["name"]))
        members = reference["epci_member"]
        self.members_now = _grouped(members["epci_siren"], members["commune_code"])
        self.epci_of = dict(zip(members["commune_code"], members["epci_siren"]))
        code_map = reference["commune_code_map"]
        self.current_communes = _grouped(code_map["old_code"], code_map["commune_code"])
        self.vintages = {}
        for year, vintage in epci_vintages.items():
            self.vintages[year] = {
                siren: (epci["name"], self._current(epci["members"]))
                for siren, epci in vintage.items()
            }
        # codes of the reference's own vintage are compared with the reference itself
        self.vintages.setdefault(
            COG_YEAR,
            {
                siren: (self.epci_names.get(siren, ""), communes)
                for siren, communes in self.members_now.items()
            },
        )

    def _current(self, codes: Iterable[str]) -> frozenset:
        found = set()
        for code in codes:
            found |= self.current_communes.get(code, {f"?{code}"})  # unknown: kept, never matches
        return frozenset(found)

    def join(
        self,
        level: str,
        code: str | None,
        vintage: int | None,
        name: str,
        codes_in_file: set[str] = frozenset(),
    ) -> Join:
        """How a published code joins; raises LookupError (with the reason) for an unknown code."""
        if level not in REFERENCE_LEVELS:
            return _NO_REFERENCE
        if code is None:
            return Join(None, False, False, "no_code", f"published without a code ({name})")
        if level != "epci":
            known = {
                "region": self.regions,
                "departement": self.departements,
                "arrondissement": self.arrondissements,
            }[level]
            if code not in known:
                raise LookupError(f"unknown {level} code {code} (COG {COG_YEAR})")
            return Join(code, True, True, "same_code", None)
        join = self._epci(code, vintage, codes_in_file)
        if part := re.search(r"\((partie [^)]*)\)", name or ""):
            note = f"the figure covers only part of the EPCI ({part[1]}, as published); " + (
                join.join_note or ""
            )
            join = Join(
                join.current_code,
                join.code_joined,
                False,
                join.join_method,
                note.rstrip("; ").strip(),
            )
        return join

    def _describe(self, siren: str) -> str:
        return f"{siren} {self.epci_names.get(siren, '')}".strip()

    def _epci(self, code: str, vintage: int | None, codes_in_file: set[str]) -> Join:
        listed = self.vintages.get(vintage, {})
        if code not in listed:
            if code not in self.members_now:
                where = f"the EPCI of COG {COG_YEAR}" + (
                    f" nor of the {vintage} list"
                    if vintage in self.vintages and vintage != COG_YEAR
                    else ""
                )
                raise LookupError(f"unknown EPCI code {code}: not among {where}")
            if vintage not in self.vintages:
                return Join(
                    code,
                    True,
                    None if vintage is None else False,
                    "same_code",
                    f"no EPCI list of {vintage} to compare memberships with" if vintage else None,
                )
            parts = defaultdict(int)
            for commune in self.members_now[code]:
                holder = next((s for s, (_, m) in listed.items() if commune in m), None)
                parts[holder] += 1
            made_of = ", ".join(
                f"{s} {listed[s][0]} ({n} communes"
                + (", also a row of this file)" if s in codes_in_file else ")")
                if s
                else f"{n} communes in no EPCI"
                for s, n in sorted(parts.items(), key=lambda p: -p[1])
            )
            return Join(
                code,
                True,
                False,
                "code_not_in_vintage",
                f"code {code} is not in the EPCI list of {vintage} (it is today's "
                f"code); today's territory is made of the {vintage} EPCI {made_of}",
            )
        _, communes = listed[code]
        holders: dict[str | None, set] = defaultdict(set)
        for commune in communes:
            holders[self.epci_of.get(commune)].add(commune)
        n = len(communes)
        if set(holders) == {code}:
            now = self.members_now[code]
            if now == communes:
                return Join(code, True, True, "same_code", None)
            return Join(
                code,
                True,
                False,
                "same_code_changed",
                f"today's {self._describe(code)} has {len(now)} communes, the {n} it "
                f"had in {vintage} and {self._origins(now - communes, vintage)}",
            )
        if len(holders) == 1 and None not in holders:
            (target,) = holders
            now = self.members_now[target]
            if now == communes:
                return Join(
                    target,
                    True,
                    True,
                    "same_communes_new_code",
                    f"the {n} communes of {code} ({vintage}) form {self._describe(target)} today",
                )
            return Join(
                target,
                True,
                False,
                "absorbed",
                f"the {n} communes of {code} ({vintage}) are now part of "
                f"{self._describe(target)}, which has {len(now)} communes: the figure "
                "covers part of it",
            )
        elsewhere = ", ".join(
            f"{len(c)} in {self._describe(s) if s else 'no EPCI'}"
            for s, c in sorted(holders.items(), key=lambda p: -len(p[1]))
            if s != code
        )
        if code in holders:
            now = self.members_now[code]
            gained = now - communes
            note = (
                f"{n - len(holders[code])} of its {n} communes of {vintage} are now in other "
                f"EPCI ({elsewhere}); today's {code} has {len(now)} communes"
            )
            if gained:
                note += f", among them {self._origins(gained, vintage)}"
            return Join(code, True, False, "same_code_changed", note)
        return Join(
            None,
            False,
            False,
            "split",
            f"its {n} communes of {vintage} are now in several EPCI ({elsewhere}): no "
            "single EPCI of today covers the figure's territory",
        )

    def _origins(self, gained: set, vintage: int) -> str:
        """'2 communes from 2019 EPCI 246000376 CC du Clermontois' for communes gained since."""
        listed = self.vintages[vintage]
        origin: dict[str | None, list] = defaultdict(list)
        for commune in sorted(gained):
            origin[next((s for s, (_, m) in listed.items() if commune in m), None)].append(commune)
        return ", ".join(
            f"{len(codes)} commune{'s' if len(codes) > 1 else ''} from "
            + (
                f"{vintage} EPCI {siren} {listed[siren][0]}"
                if siren
                else f"no EPCI of the {vintage} list ({', '.join(codes)})"
            )
            for siren, codes in sorted(origin.items(), key=lambda p: -len(p[1]))
        )


def read_epci_vintage(path: Path) -> tuple[int, dict]:
    """(vintage year, {siren: {"name", "kind", "members"}}) of an epci_YYYY.json file."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        vintage = int(data["vintage"])
        epcis = {
            e["siren"]: {"name": e["name"], "kind": e["kind"], "members": e["members"]}
            for e in data["epci"]
        }
    except FileNotFoundError:
        raise InputError(path, "missing") from None
    except (
        OSError,
        UnicodeDecodeError,
        json.JSONDecodeError,
        KeyError,
        TypeError,
        ValueError,
    ) as exc:
        raise InputError(
            path,
            f"not an EPCI vintage file ({type(exc).__name__}: {exc}); "
            "regenerate it with refresh_epci_vintage",
        ) from None
    return vintage, epcis


def load_epci_vintages(paths: Paths) -> dict[int, dict]:
    """The EPCI vintages listed in data/raw/insee/manifest.json, checked against their hash."""
    directory = paths.raw / DIRECTORY
    vintages = {}
    for entry in manifest.load(directory):
        if entry["role"] == ROLE_EPCI_VINTAGE:
            year, epcis = read_epci_vintage(manifest.verified(directory, entry))
            vintages[year] = epcis
    return vintages


def attach_geography(rows: pd.DataFrame, geography: Geography, root: Path) -> pd.DataFrame:
    """`rows` with the join columns; an unknown code raises InputError (file, row)."""
    codes_by_file = (
        rows.groupby("source_file")["geography_code"].agg(lambda s: set(s.dropna())).to_dict()
    )
    joins = []
    for row in rows.itertuples(index=False):
        vintage = None if pd.isna(row.code_vintage) else int(row.code_vintage)
        code = None if pd.isna(row.geography_code) else str(row.geography_code)
        try:
            joins.append(
                geography.join(
                    row.geography_level,
                    code,
                    vintage,
                    row.geography_name,
                    codes_by_file[row.source_file],
                )
            )
        except LookupError as exc:
            raise InputError(
                root / row.source_file, str(exc.args[0]), row=int(row.source_row)
            ) from None
    joined = pd.DataFrame(
        [j.__dict__ for j in joins],
        index=rows.index,
        columns=["current_code", "code_joined", "same_territory", "join_method", "join_note"],
    )
    return pd.concat([rows, joined], axis=1)


# --- Assembling the table -------------------------------------------------------------------

#: Table columns but the geography join ones (what the readers produce).
_JOIN_COLUMNS = ("current_code", "code_joined", "same_territory", "join_method", "join_note")
_FIGURE_TABLE_COLUMNS = [c.name for c in schema_columns()[TABLE] if c.name not in _JOIN_COLUMNS]
_FIGURE_KEY = [
    "year",
    "geography_level",
    "geography_code",
    "breakdown",
    "breakdown_value",
    "indicator",
    "population_scope",
    "definition_version",
]


def entry_metadata(directory: Path, entry: dict) -> dict:
    """The validated metadata of a figure download's manifest entry (InputError if invalid)."""
    figure = entry.get("figure")
    where = directory / manifest.MANIFEST
    if not isinstance(figure, dict):
        raise InputError(
            where,
            f'entry {entry["path"]} (role {ROLE_DOWNLOAD}) has no "figure" '
            "metadata (indicator, year, definition, scope, source_url)",
        )
    try:
        return ingest_metadata(**figure)
    except TypeError as exc:
        raise InputError(where, f"entry {entry['path']}: figure metadata {exc}") from None
    except MetadataError as exc:
        raise InputError(where, f"entry {entry['path']}: {exc}") from None


def supersede(rows: pd.DataFrame, root: Path) -> pd.DataFrame:
    """Drop the rows a figure download replaces (rule in the module docstring), noting them.

    Rank: first-hand download 0, second-hand download 1, curated CSV 2; `rows` has a `_rank`.
    """
    keys = list(zip(*(rows[c].astype(object).where(rows[c].notna(), None) for c in _FIGURE_KEY)))
    groups: dict[tuple, list[int]] = defaultdict(list)
    for position, key in enumerate(keys):
        groups[key].append(position)
    ranks = rows["_rank"].tolist()
    files, numbers = rows["source_file"].tolist(), rows["source_row"].tolist()
    values, published = rows["value"].tolist(), rows["value_published"].tolist()
    keep = [True] * len(rows)
    notes = rows["note"].astype(object).tolist()
    for members in groups.values():
        best = min(ranks[i] for i in members)
        if best == 2:  # curated rows only: all kept (sources may disagree, each is a fact)
            continue
        winners = [i for i in members if ranks[i] == best]
        if len({files[i] for i in winners}) > 1:
            first, second = winners[0], next(i for i in winners if files[i] != files[winners[0]])
            raise InputError(
                root / files[first],
                f"row {numbers[first]} gives the same figure "
                f"as {files[second]} row {numbers[second]} (same year, geography, "
                "indicator, scope and definition): keep one of the two files",
            )
        losers = [i for i in members if ranks[i] > best]
        if not losers:
            continue
        for i in losers:
            keep[i] = False
        winner = winners[0]
        notes[winner] = "replaces " + "; ".join(
            f"{files[i]} row {numbers[i]} ("
            + ("same value" if values[i] == values[winner] else f"value there: {published[i]}")
            + ")"
            for i in losers
        )
    return rows.assign(note=notes)[keep]


def assemble_illectronism(
    paths: Paths, reference: dict[str, pd.DataFrame]
) -> tuple[dict[str, pd.DataFrame], list[dict]]:
    """Read and check every file of data/raw/insee/manifest.json; return ({"illectronism":
    table}, one `source` row per file). Nothing is returned unless every file is valid."""
    directory = paths.raw / DIRECTORY
    entries = manifest.load(directory)
    by_role: dict[str, list[dict]] = defaultdict(list)
    for entry in entries:
        if entry["role"] not in ROLES:
            raise InputError(
                directory / manifest.MANIFEST,
                f"entry {entry['path']}: unknown "
                f"role {entry['role']!r} (known: {', '.join(ROLES)})",
            )
        by_role[entry["role"]].append(entry)
    if len(by_role[ROLE_CURATED]) != 1:
        raise InputError(
            directory / manifest.MANIFEST,
            f"lists {len(by_role[ROLE_CURATED])} file(s) with role {ROLE_CURATED!r}, expected 1",
        )
    counts: dict[str, int | None] = {}
    vintages = {}
    for entry in by_role[ROLE_EPCI_VINTAGE]:
        year, epcis = read_epci_vintage(manifest.verified(directory, entry))
        vintages[year] = epcis
        counts[entry["path"]] = len(epcis)
    frames = []
    for entry in by_role[ROLE_CURATED]:
        path = manifest.verified(directory, entry)
        rows = read_illectronism_csv(path, path.relative_to(paths.root).as_posix())
        counts[entry["path"]] = len(rows)
        frames.append(rows.assign(_rank=2))
    for entry in by_role[ROLE_DOWNLOAD]:
        path = manifest.verified(directory, entry)
        metadata = entry_metadata(directory, entry)
        figure = read_insee_figure(path, path.relative_to(paths.root).as_posix())
        counts[entry["path"]] = int(figure["source_row"].nunique())
        frames.append(
            figure_rows(figure, metadata).assign(_rank=1 if metadata["second_hand_via"] else 0)
        )
    for entry in by_role[ROLE_NOTES]:
        manifest.verified(directory, entry)
    rows = pd.concat(frames, ignore_index=True)
    rows = supersede(rows, paths.root)
    rows = attach_geography(rows, Geography(reference, vintages), paths.root)
    table = _as_table(rows)
    sources = [
        manifest.source_row(paths.root, directory, entry, counts.get(entry["path"]))
        for entry in entries
    ]
    return {TABLE: table}, sources


def _as_table(rows: pd.DataFrame) -> pd.DataFrame:
    """The table's columns in schema order, typed for DuckDB, sorted."""
    columns = [c.name for c in schema_columns()[TABLE]]
    table = rows[columns].copy()
    for name in ("source_row", "year", "code_vintage"):
        table[name] = pd.array(
            table[name].astype(object).where(table[name].notna(), None), dtype="Int64"
        )
    for name in ("value", "value_low", "value_high"):  # Float64: missing is NULL, never NaN
        table[name] = pd.array(pd.to_numeric(table[name], errors="raise"), dtype="Float64")
    for name in ("code_joined", "same_territory"):
        table[name] = pd.array(
            table[name].astype(object).where(table[name].notna(), None), dtype="boolean"
        )
    table["is_second_hand"] = table["is_second_hand"].astype(bool)
    for name in columns:
        if table[name].dtype == object:
            table[name] = table[name].where(table[name].notna(), None)
    return table.sort_values(["source_file", "source_row", "indicator"]).reset_index(drop=True)


# --- Checking and ingesting a download ------------------------------------------------------


def check_figure(
    path: Path,
    metadata: dict,
    reference: dict[str, pd.DataFrame],
    epci_vintages: dict[int, dict] | None = None,
    root: Path | None = None,
) -> pd.DataFrame:
    """The table rows a figure download would give, after every check (format, metadata,
    codes against COG 2026 and the EPCI vintages). Raises InputError or MetadataError."""
    path = Path(path)
    source_file = path.relative_to(root).as_posix() if root else str(path)
    rows = figure_rows(read_insee_figure(path, source_file), metadata)
    rows = attach_geography(
        rows, Geography(reference, epci_vintages or {}), root if root else Path()
    )
    return _as_table(rows.assign(note=None))


def figure_manifest_entry(
    relative_path: str, file: Path, metadata: dict, retrieved_date: dt.date | None = None
) -> dict:
    """The manifest entry of a figure download kept at `relative_path` (under data/raw/insee)."""
    meta = ingest_metadata(**metadata)
    relay = meta["second_hand_via"]
    return {
        "path": relative_path,
        "role": ROLE_DOWNLOAD,
        "sha256": manifest.sha256_file(Path(file)),
        "producer": meta["producer"] + (f" (copy: {relay})" if relay else ""),
        "title": f"{meta['publication']} — {meta['indicator']} {meta['year']}",
        "licence": "Licence Ouverte 2.0 (Etalab)"
        if meta["producer"] == "INSEE"
        else "as stated by the producer",
        "url": meta["source_url"],
        "retrieved_date": (retrieved_date or dt.date.today()).isoformat(),
        "derived_from": relay,
        "figure": meta,
    }


# --- Maintainers: the EPCI vintage (needs npm) ----------------------------------------------


def refresh_epci_vintage(dest: Path, vintage: int = 2019) -> dict:
    """Write dest/epci_<vintage>.json from the npm package and update dest/manifest.json.

    One line per EPCI (siren, name, kind, member commune codes of that year), sorted, so that
    the same package gives the same bytes. Returns the manifest entry.
    """
    from pipeline.build.sources.reference import _npm_pack

    version = EPCI_VINTAGE_VERSIONS[vintage]
    with tempfile.TemporaryDirectory() as tmp:
        package = _npm_pack(version, Path(tmp))
    epcis = sorted(package.files["epci.json"], key=lambda e: e["code"])
    lines = [
        json.dumps(
            {
                "siren": e["code"],
                "name": e["nom"],
                "kind": e["type"],
                "members": sorted(m["code"] for m in e["membres"]),
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )
        for e in epcis
    ]
    text = (
        f'{{"vintage":{vintage},"source":"DGCL, EPCI à fiscalité propre au 1er janvier '
        f'{vintage}, via npm @etalab/decoupage-administratif@{version} data/epci.json",'
        '"epci":[\n' + ",\n".join(lines) + "\n]}\n"
    )
    name = f"epci_{vintage}.json"
    (dest / name).write_text(text, encoding="utf-8")
    entry = {
        "path": name,
        "role": ROLE_EPCI_VINTAGE,
        "sha256": manifest.sha256_file(dest / name),
        "producer": "Etalab / DGCL (liste des EPCI à fiscalité propre)",
        "title": f"EPCI à fiscalité propre au 1er janvier {vintage} et leurs communes membres",
        "licence": "Licence Ouverte 2.0 (données) ; code MIT",
        "url": package.url,
        "retrieved_date": dt.date.today().isoformat(),
        "derived_from": package.provenance("epci.json"),
        "vintage": vintage,
    }
    entries = (
        [e for e in manifest.load(dest) if e["path"] != name]
        if (dest / manifest.MANIFEST).exists()
        else []
    )
    manifest.save(dest, [*entries, entry])
    return entry
