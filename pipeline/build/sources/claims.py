"""Statements of continuity from the press (claims.csv) and their structured reading.

claims.csv keeps each statement as found ("5 @ pour la septième fois"), with the fact it
implies in words. claim_facts.csv is the maintainers' structured reading of those words, one
row per checkable fact, so the palmarès can be checked against them:
- level_at: the collectivity had `arobases` @ at each of `editions`;
- count_up_to: it had `arobases` @ `count` times up to edition `up_to` (`consecutive` = yes:
  in the `count` label years ending with `up_to`);
- labelled_since: labelled (at `arobases` @ when given) for `count` years up to `up_to`;
- first_at_level: its first `arobases` @ label was at `editions`;
- first_participation: its first label was at `editions`.
What each implies about the palmarès is written once, in `pipeline.build.claim_semantics`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.errors import InputError

FACTS = ("level_at", "count_up_to", "labelled_since", "first_at_level", "first_participation")


def read_claims(path: Path) -> pd.DataFrame:
    """claims.csv with its source row (header = 1) and the stated year as a number."""
    frame = _read_csv(path).replace({"": None})
    frame.insert(0, "source_row", range(2, len(frame) + 2))
    frame["stated_in_year"] = pd.to_numeric(frame["stated_in_year"]).astype("Int64")
    return frame.rename(columns={"collectivity_name": "name", "department_code": "departement"})


def read_claim_facts(path: Path, claim_rows: set[int]) -> pd.DataFrame:
    """claim_facts.csv, checked: known fact, known claim row, the numbers each fact needs."""
    frame = _read_csv(path)
    for n, fact in enumerate(frame.itertuples(index=False), start=2):
        problem = _problem(fact, claim_rows)
        if problem:
            raise InputError(path, problem, row=n)
    frame.insert(0, "source_row", range(2, len(frame) + 2))
    frame["claim_row"] = frame["claim_row"].astype(int)
    frame["editions"] = frame["editions"].map(
        lambda text: [int(year) for year in text.split("|")] if text else []
    )
    for column in ("arobases", "count", "up_to"):
        frame[column] = pd.to_numeric(frame[column]).astype("Int64")
    frame["consecutive"] = frame["consecutive"] == "yes"
    return frame


def _problem(fact, claim_rows: set[int]) -> str | None:
    if fact.fact not in FACTS:
        return f"fact {fact.fact!r} is not one of {', '.join(FACTS)}"
    if not fact.claim_row.isdigit() or int(fact.claim_row) not in claim_rows:
        return f"claim_row {fact.claim_row!r} is not a row of claims.csv"
    needs = {
        "level_at": ("arobases", "editions"),
        "count_up_to": ("arobases", "count", "up_to"),
        "labelled_since": ("count", "up_to"),
        "first_at_level": ("arobases", "editions"),
        "first_participation": ("editions",),
    }[fact.fact]
    missing = [column for column in needs if not getattr(fact, column)]
    return f"{fact.fact} needs {', '.join(missing)}" if missing else None


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise InputError(path, f"cannot be read as UTF-8 CSV: {exc}") from None
    return frame
