"""Cell values of a palmarès: the label year, the @ level, the category, the name's département.

Each function takes the text of one cell and returns the canonical value, or raises
`ValueError` with a message the reader turns into an `InputError` naming the file and the row.
"""

from __future__ import annotations

import datetime as dt
import re

from pipeline.build.sources.tabular import fold

FIRST_EDITION = 1999

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

#: A département code printed after the name: "Lille (59)", "Ajaccio (2A)", "Les Abymes (971)".
#: "Bromont (Québec)" or "(ARGI)" are not département codes and stay in the name.
_DEPARTEMENT_SUFFIX = re.compile(r"\s*\((\d{2,3}|2[AB])\)$", re.IGNORECASE)
_LEVEL_NUMBER = re.compile(r"(\d+)(?:[.,]0+)?(?:@|arobases?)?")  # spaces already removed
_INTEGER = re.compile(r"(\d+)(?:[.,]0+)?")  # "2024" and "2024.0" (a float column exported as text)


def split_departement(published: str) -> tuple[str, str | None]:
    """ "Lille (59)" → ("Lille", "59"); any other name is returned unchanged."""
    match = _DEPARTEMENT_SUFFIX.search(published)
    if match is None:
        return published, None
    return published[: match.start()], match.group(1).upper()


def is_year(value: str) -> bool:
    match = _INTEGER.fullmatch(value)
    return match is not None and len(match.group(1)) == 4


def edition(value: str | None) -> int:
    """The label year, between the first edition (1999) and the current year."""
    if value is None:
        raise ValueError("no edition (label year)")
    if not is_year(value):
        raise ValueError(f"edition {value!r} is not a year")
    year = int(_INTEGER.fullmatch(value).group(1))
    current = dt.date.today().year
    if year < FIRST_EDITION:
        raise ValueError(f"edition {year} is before the first label ({FIRST_EDITION})")
    if year > current:
        raise ValueError(f"edition {year} is in the future (this is {current})")
    return year


def level(value: str | None) -> int | None:
    """@ level: 1-5 written "5", "5 @", "5@", "5 arobases" or "@@@@@"; 0 for a mention.

    An empty cell means the source does not give the level: it stays unknown (None).
    """
    if value is None:
        return None
    compact = re.sub(r"\s", "", value).casefold()
    if compact == "mention":
        return 0
    if set(compact) == {"@"}:
        found = len(compact)
    else:
        match = _LEVEL_NUMBER.fullmatch(compact)
        found = int(match.group(1)) if match else None
    if found is None or found > 5:
        raise ValueError(
            f"unknown @ level {value!r}: expected 1 to 5 @ (or 'mention'), "
            "or an empty cell when the level is unknown"
        )
    return found


def fits_level(value: str) -> bool:
    try:
        level(value)
    except ValueError:
        return False
    return True


def kind(value: str | None) -> str | None:
    """ville, village or territoire from the French spellings users write."""
    if value is None:
        return None
    key = " ".join(fold(value).split())
    for name, spellings in KIND_SPELLINGS.items():
        if any(key == spelling or key.startswith(spelling + " ") for spelling in spellings):
            return name
    raise ValueError(
        f"unknown category {value!r}: expected Ville, Village or Territoire "
        "(EPCI, intercommunalité, communauté ...)"
    )
