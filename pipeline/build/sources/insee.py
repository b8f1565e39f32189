"""Illectronism figures: their vocabulary, the curated CSV, and what may be said of a download.

Files (data/raw/insee/, listed with their provenance in manifest.json, by role):

- ``illectronism_figures``: ``illectronism.csv``, figures collected from INSEE publications and
  a few other producers, one sourced figure per row (see NOTES.md §7 for its conventions).
  Read by `read_illectronism_csv`.
- ``insee_figure_download``: the data of one figure of an INSEE publication, as a researcher
  downloads it from insee.fr (the "Télécharger" button under a figure) or a faithful copy of it.
  Read by `insee_download.read_insee_figure`. The file itself does not say what it measures:
  its manifest entry carries that under the key ``"figure"`` (indicator, year, definition,
  scope, source URL...), the dictionary `ingest_metadata` validates, here because it is checked
  against the vocabulary below (`DEFINITIONS`, `SCOPES`). ``palmares ingest`` adds such files
  under ``imports/``: `looks_like_insee_figure` (from `insee_download`) tells one from a
  palmarès export, `ingest_metadata` takes the CLI options and raises `MetadataError` naming
  the option and the problem.
- ``epci_vintage``: ``epci_2019.json``, the EPCI à fiscalité propre of 1 January 2019 with their
  member communes (DGCL list via npm @etalab/decoupage-administratif 0.7.0, Licence Ouverte),
  the geography of the 2019 figures. Derived by `reference.refresh_epci_vintage` (maintainers,
  needs npm), read by `pipeline.build.assemble.illectronism`, which builds the table.
- ``notes``: NOTES.md, the research notes: definitions, publications, conventions.

The rules typing a curated row are written here so they can be read and tested:

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
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path
from typing import NoReturn

import pandas as pd

from pipeline.build.schema import schema_columns
from pipeline.build.sources.tabular import decode, fold_words
from pipeline.errors import InputError

TABLE = "illectronism"
DIRECTORY = "insee"  # under data/raw

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
#: First year of data a figure may have.
FIRST_YEAR = 2000

_SKILLS_INDICATOR = re.compile(r"illectron|skill|capacit|mastery")
#: Skills indicators that are self-assessments, outside INSEE's illectronism definitions.
_SELF_ASSESSED = {"very_weak_or_no_computer_skills"}

#: Table columns but the geography join ones (what the readers produce).
_JOIN_COLUMNS = ("current_code", "code_joined", "same_territory", "join_method", "join_note")
FIGURE_TABLE_COLUMNS = [c.name for c in schema_columns()[TABLE] if c.name not in _JOIN_COLUMNS]


# --- Rules ----------------------------------------------------------------------------------


def normalise_scope(published: str) -> str:
    """The normalised population scope of a published description (see `SCOPES`).

    Ordered rules on the folded text; a description none of them recognises is "not_stated"
    (the published text is always kept beside it).
    """
    text = fold_words(published)
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
    """Is `scope` a normalised population scope (`SCOPES` or an age group)?"""
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
    text = decode(path)
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
        source = source_file if source_file is not None else str(path)
        records.append(_curated_record(path, source, number, raw, this_year))
    return pd.DataFrame.from_records(records, columns=FIGURE_TABLE_COLUMNS)


#: Cells a curated row must fill (geography_code and quote may be empty).
_REQUIRED = tuple(name for name in CURATED_HEADER if name not in ("geography_code", "quote"))


def _curated_record(
    path: Path, source: str, number: int, raw: dict[str, str], this_year: int
) -> dict:
    """One curated row as table values, checked (InputError naming the row)."""
    for column in _REQUIRED:
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
    if unit == "percent" and any(v is not None and not 0 <= v <= 100 for v in (value, low, high)):
        raise InputError(
            path,
            f"value {raw['value_pct']!r} is not a percentage (0-100); "
            "counts need an indicator ending in _thousands or _millions",
            row=number,
        )
    producer = producer_of(raw["publication"])
    is_second, relay = second_hand(raw["publication"])
    return {
        "source_file": source,
        "source_row": number,
        "year": year,
        "geography_level": level,
        "geography_code": raw["geography_code"] or None,
        "geography_name": raw["geography_name"],
        "code_vintage": year if level in REFERENCE_LEVELS and raw["geography_code"] else None,
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


class MetadataError(ValueError):
    """What a user says about a figure download is missing or invalid (names the option)."""


# --- What the user says about a download ---------------------------------------------------


def _count_indicator(indicator: str) -> str:
    return indicator.replace("rate", "count", 1) if "rate" in indicator else f"{indicator}_count"


def _fail(option: str, value, problem: str) -> NoReturn:
    raise MetadataError(f"--{option.replace('_', '-')} {value!r}: {problem}")


def _year_option(option: str, value, first: int, last: int, out_of_range: str) -> int:
    try:
        year = int(value)
    except (TypeError, ValueError):
        _fail(option, value, "not a year")
    if not first <= year <= last:
        _fail(option, year, out_of_range)
    return year


def _definition(definition: str, indicator: str) -> str:
    definition = str(definition or "").strip()
    if definition not in (*DEFINITIONS, NO_DEFINITION):
        _fail(
            "definition",
            definition,
            "one of "
            + ", ".join((*DEFINITIONS, NO_DEFINITION))
            + " (2019: 4 domains, 12 months; 2021: 5 domains, 3 months; 2025: 16-74 year-olds)",
        )
    if definition == NO_DEFINITION and is_skills_indicator(indicator):
        _fail(
            "definition",
            definition,
            f"{indicator} measures illectronism or digital skills: "
            "say which definition (2019, 2021 or 2025)",
        )
    return definition


def _estimation(estimation: str | None, indicator: str) -> str:
    default_estimation = "modelled" if indicator.endswith("_modelled") else "survey"
    estimation = (estimation or default_estimation).strip()
    if estimation not in ("survey", "modelled"):
        _fail("estimation", estimation, "modelled or survey")
    if indicator.endswith("_modelled") and estimation != "modelled":
        _fail("estimation", estimation, f"{indicator} is named as a modelled indicator")
    return estimation


def _breakdown(breakdown: str | None, breakdown_value: str | None) -> tuple[str, str]:
    breakdown = (breakdown or "none").strip()
    breakdown_value = (breakdown_value or "all").strip()
    if breakdown == "none" and breakdown_value != "all":
        _fail("breakdown_value", breakdown_value, "give --breakdown too (age, diploma, sex...)")
    if breakdown != "none" and breakdown_value == "all":
        _fail("breakdown_value", breakdown_value, f"say which {breakdown} group the figure is for")
    return breakdown, breakdown_value


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
    indicator = (indicator or "").strip()
    if not re.fullmatch(r"[a-z][a-z0-9_]*", indicator):
        _fail(
            "indicator",
            indicator,
            "give the indicator in snake_case, e.g. illectronism_rate_modelled",
        )
    this_year = dt.date.today().year
    year = _year_option(
        "year",
        year,
        FIRST_YEAR,
        this_year,
        f"the year of the data must be in {FIRST_YEAR}-{this_year}",
    )
    definition = _definition(definition, indicator)
    scope = (scope or "").strip()
    if not _valid_scope(scope):
        _fail(
            "scope", scope, "one of " + ", ".join(SCOPES) + ", or an age group such as 75+ or 60-74"
        )
    source_url = (source_url or "").strip()
    if not re.fullmatch(r"https?://\S+", source_url):
        _fail("source_url", source_url, "give the http(s) URL of the page or figure")
    estimation = _estimation(estimation, indicator)
    vintage = _year_option(
        "geography_vintage",
        year if geography_vintage in (None, "") else geography_vintage,
        1999,
        this_year,
        f"must be in 1999-{this_year}",
    )
    breakdown, breakdown_value = _breakdown(breakdown, breakdown_value)
    count_indicator = (count_indicator or _count_indicator(indicator)).strip()
    if not re.fullmatch(r"[a-z][a-z0-9_]*", count_indicator) or count_indicator == indicator:
        _fail("count_indicator", count_indicator, "a snake_case name other than the indicator")
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
