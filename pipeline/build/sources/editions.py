"""Published aggregates per edition (data/raw/palmares/editions.csv) and the rule that picks one.

Several sources may give an edition's totals, counts per level, ceremony date or place, and
they disagree at times (2018: 151 or 131 villes; 2012: ceremony on 6 or 7 February). Every
source row is kept in `edition_aggregate`; `choose_editions` picks one value per edition and
measure by the rule in `CHOICE_RULE`, and lists every disagreement in `edition_conflict`.
Counts per level that do not add up to the total are a disagreement too (2015: 36 + 37 + 48 +
38 + 31 = 190 against 241 collectivités in the same article): both figures are listed, the
stated total is kept, nothing is averaged (`LEVEL_SUM_RULE`).

A palmarès file declared complete for its editions (`palmares ingest --complete`, recorded in
its manifest entry) is a source of those editions' counts too (`declared_counts`): its number
of rows of the edition (`total_labelled`) and, when every one of those rows states its level,
its rows per level (`n_5` ... `n_1`, and `n_mention` where the edition had that level). Where
it disagrees with a published total, both values are in `edition_conflict` and the declared
list's count is kept (step 0 of CHOICE_RULE): a list names every laureate and can be checked
row by row against every other source, a total is one number, often relayed second-hand and at
times inconsistent with itself (2015); and the declaration names who vouches for the list. The
edition's coverage then compares the rows held with the list's count, by the one rule of
`analysis.coverage`: a row held from another source that the declared list lacks shows as
"more held than published", never hidden. Kinds and TEN counts stay those published (an export
may leave its kind and distinction columns empty). Two declared lists that disagree are chosen
between by the steps below, among themselves.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from pipeline.build.schema import schema_columns
from pipeline.errors import InputError

#: Label years before this one had a «mention» level below 1 @ (DOMAIN: "before about 2010").
FIRST_YEAR_WITHOUT_MENTION = 2010
FIRST_EDITION_YEAR = 1999
#: Label years without an edition under our keying (README, "Edition keying"): the ceremony
#: moved from December 2009 (label 2009) to January 2011 (label 2011).
YEARS_WITHOUT_EDITION = frozenset({2010})
ASSOCIATION_SITE = "villes-internet.net"

INTEGER_COLUMNS = [
    "edition_number",
    "total_labelled",
    "n_5",
    "n_4",
    "n_3",
    "n_2",
    "n_1",
    "n_mention",
    "n_territoires",
    "n_villes",
    "n_villages",
    "n_new_candidates",
    "n_ten",
]
#: Columns of `edition` chosen among the sources, in table order.
MEASURES = [
    "edition_number",
    "ceremony_date",
    "ceremony_place",
    "total_labelled",
    "n_5",
    "n_4",
    "n_3",
    "n_2",
    "n_1",
    "n_mention",
    "n_territoires",
    "n_villes",
    "n_villages",
    "n_ten",
]
CHOICE_RULE = (
    "0. the count of a list declared complete (palmares ingest --complete); "
    "1. a value stated on the association's site (villes-internet.net); "
    "2. for a ceremony date, the most precise date that the others are a part of "
    "(2008-11-24 over 2008-11); "
    "3. the value stated by the most sources; "
    "4. the value of the source giving the most counts per level (a complete distribution); "
    "5. the first source in the file"
)


#: Why a declared list's count was kept (CHOICE_RULE, step 0).
DECLARED_RULE = "0. count of a list declared complete"

#: Counts per level from 5 @ to 1 @: with `n_mention` where that level exists, the parts of
#: `total_labelled`.
LEVEL_COLUMNS = ["n_5", "n_4", "n_3", "n_2", "n_1"]
LEVEL_SUM_RULE = (
    "the total stated is kept: the counts per level chosen sum to {sum} ({terms}); "
    "the gap is shown, not resolved"
)


def read_edition_aggregates(path: Path) -> pd.DataFrame:
    """editions.csv typed as the `edition_aggregate` table; a bad cell names its row."""
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise InputError(path, f"cannot be read as UTF-8 CSV: {exc}") from None
    expected = [
        c.name
        for c in schema_columns()["edition_aggregate"]
        if c.name not in ("source_row", "edition_label", "first_year", "last_year")
    ]
    missing = [c for c in ["edition_year", *expected] if c not in raw.columns]
    if missing:
        raise InputError(path, f"missing column(s) {', '.join(missing)}", row=1)
    frame = raw.replace({"": None})
    frame.insert(0, "source_row", range(2, len(frame) + 2))
    years = frame["edition_year"].fillna("").str.fullmatch(r"(\d{4})(?:-(\d{4}))?")
    if not years.all():
        row = int(frame.loc[~years, "source_row"].iloc[0])
        raise InputError(path, "edition_year is not a year or a range of years", row=row)
    span = frame["edition_year"].str.extract(r"(\d{4})(?:-(\d{4}))?")
    frame["first_year"] = span[0].astype(int)
    frame["last_year"] = span[1].fillna(span[0]).astype(int)
    for column in INTEGER_COLUMNS:
        bad = frame[column].notna() & ~frame[column].fillna("").str.fullmatch(r"\d+")
        if bad.any():
            row = int(frame.loc[bad, "source_row"].iloc[0])
            raise InputError(path, f"{column} is not a whole number", row=row)
        frame[column] = pd.to_numeric(frame[column]).astype("Int64")
    frame = frame.rename(columns={"edition_year": "edition_label"})
    return frame[[column.name for column in schema_columns()["edition_aggregate"]]]


def label_years(latest: int) -> list[int]:
    """Every label year from the first to `latest`, but those without an edition."""
    return [y for y in range(FIRST_EDITION_YEAR, latest + 1) if y not in YEARS_WITHOUT_EDITION]


def declared_counts(rows: pd.DataFrame, source_file: str, editions: list[int]) -> pd.DataFrame:
    """What a palmarès file declared complete for `editions` states of each of them, as source
    rows for `choose_editions`: its rows of the edition, and its rows per level when every one
    states its level (a level without a row counts 0; a mention only where the edition had
    it). `source_url` is the file (relative to the project root)."""
    counted = []
    for year in editions:
        mine = rows[rows["edition"] == year]
        counts = {"first_year": year, "last_year": year, "total_labelled": len(mine)}
        if len(mine) and mine["arobases"].notna().all():
            levels = mine["arobases"].astype(int).value_counts()
            counts |= {f"n_{level}": int(levels.get(level, 0)) for level in range(1, 6)}
            if year < FIRST_YEAR_WITHOUT_MENTION or levels.get(0, 0):
                counts["n_mention"] = int(levels.get(0, 0))
        counted.append(counts)
    frame = pd.DataFrame(counted, columns=["first_year", "last_year", *MEASURES])
    for column in INTEGER_COLUMNS:
        if column in frame:
            frame[column] = frame[column].astype("Int64")
    return frame.assign(source_url=source_file, declared=True)


def choose_editions(
    aggregates: pd.DataFrame, laureate_years: set[int], declared: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The `edition` and `edition_conflict` tables from every source row (see CHOICE_RULE),
    and the counts of the lists declared complete (`declared_counts`, concatenated).

    An edition exists for every label year from 1999 to the latest one a source row or a
    laureate names, except YEARS_WITHOUT_EDITION: the label has been awarded every year.
    """
    single = aggregates[aggregates["first_year"] == aggregates["last_year"]].assign(declared=False)
    if declared is not None and len(declared):
        single = pd.concat([single, declared], ignore_index=True)
    latest = int(max([*single["first_year"], *laureate_years]))
    editions, conflicts = [], []
    for year in label_years(latest):
        rows = single[single["first_year"] == year]
        edition = {"label_year": year}
        for measure in MEASURES:
            value, disagreement = _choose(rows, measure)
            edition[measure] = value
            conflicts += [{"label_year": year, "measure": measure, **d} for d in disagreement]
        edition["has_mention_level"] = bool(
            year < FIRST_YEAR_WITHOUT_MENTION or rows["n_mention"].notna().any()
        )
        conflicts = _with_level_sum(conflicts, edition, rows)
        editions.append(edition)
    columns = [column.name for column in schema_columns()["edition"]]
    table = pd.DataFrame(editions).reindex(columns=columns)
    for column in INTEGER_COLUMNS:
        if column in table:
            table[column] = table[column].astype("Int64")
    conflict_columns = [column.name for column in schema_columns()["edition_conflict"]]
    return table, pd.DataFrame(conflicts, columns=conflict_columns)


def _choose(rows: pd.DataFrame, measure: str) -> tuple[object, list[dict]]:
    """The value of one measure for one edition, and the disagreement if sources differ."""
    stated = rows[rows[measure].notna()]
    values = stated[measure].astype(str)
    distinct = list(dict.fromkeys(values))
    if not distinct:
        return None, []
    if len(distinct) == 1:
        return stated[measure].iloc[0], []
    chosen, rule = _pick(stated, values, measure)
    disagreement = [
        {
            "value": value,
            "source_urls": list(stated.loc[values == value, "source_url"]),
            "is_chosen": value == chosen,
            "rule": rule,
        }
        for value in distinct
    ]
    return stated.loc[values == chosen, measure].iloc[0], disagreement


def _with_level_sum(conflicts: list[dict], edition: dict, rows: pd.DataFrame) -> list[dict]:
    """`conflicts` plus, when the counts per level chosen for an edition cannot add up to its
    chosen total (every level of the edition given and another sum, or a sum above it), the
    total and the sum as two values of `total_labelled`, each with its sources: the gap is
    shown, never resolved. The total stays the chosen value; `LEVEL_SUM_RULE` says why."""
    total = edition["total_labelled"]
    given = [c for c in [*LEVEL_COLUMNS, "n_mention"] if pd.notna(edition[c])]
    if pd.isna(total) or not given:
        return conflicts
    summed = sum(int(edition[c]) for c in given)
    levels = [*LEVEL_COLUMNS, *(["n_mention"] if edition["has_mention_level"] else [])]
    if summed == total or (summed < total and not set(levels) <= set(given)):
        return conflicts  # adds up, or the levels not given may hold the rest
    year = edition["label_year"]
    rule = LEVEL_SUM_RULE.format(sum=summed, terms=" + ".join(str(int(edition[c])) for c in given))
    level_sources = _sources_of(rows, {c: edition[c] for c in given})
    values = {
        c["value"]: c
        for c in conflicts
        if c["label_year"] == year and c["measure"] == "total_labelled"
    }
    extra = []
    if str(total) not in values:  # the sources agree on the total: list it beside the sum
        stating = _sources_of(rows, {"total_labelled": total})
        extra.append(_conflict(year, total, stating, True, rule))
    if str(summed) in values:  # a source states the sum as the total: name the level sources
        same = values[str(summed)]
        same["source_urls"] = list(dict.fromkeys([*same["source_urls"], *level_sources]))
    else:
        extra.append(_conflict(year, summed, level_sources, False, rule))
    return [*conflicts, *extra]


def _conflict(year: int, value, sources: list[str], is_chosen: bool, rule: str) -> dict:
    """One `edition_conflict` row about `total_labelled`."""
    return {
        "label_year": year,
        "measure": "total_labelled",
        "value": str(value),
        "source_urls": sources,
        "is_chosen": is_chosen,
        "rule": rule,
    }


def _sources_of(rows: pd.DataFrame, values: dict[str, object]) -> list[str]:
    """The sources of the rows stating any of these chosen values, in file order."""
    stating = pd.Series(False, index=rows.index)
    for column, value in values.items():
        stating |= rows[column].astype(object).eq(value).fillna(False).astype(bool)
    return list(dict.fromkeys(rows.loc[stating, "source_url"]))


def _pick(stated: pd.DataFrame, values: pd.Series, measure: str) -> tuple[str, str]:
    """Apply CHOICE_RULE step by step; return the chosen value (as text) and the step used."""
    declared = stated["declared"].astype(bool)
    if declared.any():
        if values[declared].nunique() == 1:
            return values[declared].iloc[0], DECLARED_RULE
        stated, values = stated[declared], values[declared]  # the steps below choose among them
    official = values[
        ~stated["declared"].astype(bool)
        & stated["source_url"].str.contains(ASSOCIATION_SITE, regex=False)
    ]
    if official.nunique() == 1:
        return official.iloc[0], "1. stated on the association's site"
    if measure == "ceremony_date":
        precise = [v for v in values if all(_within(other, v) for other in values)]
        if precise:
            return precise[0], "2. most precise date"
    counts = values.value_counts(sort=False)
    top = counts[counts == counts.max()]
    if len(top) == 1:
        return top.index[0], f"3. stated by {counts.max()} sources out of {len(values)}"
    completeness = stated[LEVEL_COLUMNS].notna().sum(axis=1)
    candidates = values[values.isin(top.index)]
    best = completeness[candidates.index]
    if (best == best.max()).sum() == 1:
        return candidates[best.idxmax()], "4. source with the most counts per level"
    return candidates.iloc[0], "5. first source in the file"


def _within(broad: str, precise: str) -> bool:
    """True if date `broad` contains date `precise` (2008-11 ⊇ 2008-11-24; 2019-01-29/30 ⊇
    itself)."""
    return precise.startswith(broad) or re.sub(r"/\d+$", "", broad) == precise
