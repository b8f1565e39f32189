"""Continuity analytics on a hand-made palmarès (every number worked out by hand below), the
same palmarès held incompletely (unknowns, never exits), claims, the synthetic generator, and
the TEN 2021 list on the real warehouse.

The hand-made palmarès: five fictitious collectivities (codes T0001-T0005, not real places)
over twelve editions. There is no label 2010 (README, "Edition keying"), so 2009 → 2011 is
consecutive. Before 2011 the lowest level is a mention ("m", stored as 0 @).
"""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import EXPECTED_COUNTS
from continuity_oracle import continuity_table_pandas, same_tables

from benchmarks import synthetic
from pipeline.analysis import continuity as c
from pipeline.build.schema import SCHEMA_SQL
from pipeline.paths import DEFAULT_ROOT

EDITIONS = [2005, 2006, 2007, 2008, 2009, 2011, 2012, 2013, 2014, 2015, 2016, 2017]
#            2005 06 07 08 09 11 12 13 14 15 16 17
PALMARES = {
    "T0001": ("Testville A", "5 5 5 5 5 5 5 4 5 5 5 5"),  # always labelled, 4 @ once
    "T0002": ("Testville B", "3 4 - - 5 5 5 - 4 5 5 5"),  # two gaps, returns twice
    "T0003": ("Testville C", "- - - - - 1 2 2 3 - - -"),  # enters in 2011, leaves in 2015
    "T0004": ("Testville D", "m 1 1 2 - - - - - - - 3"),  # mention, long gap, comes back
    "T0005": ("Testville E", "2 2 3 3 4 4 - - - - - -"),  # six labels, never 5 @
}
TEN_2017 = {"T0001", "T0002"}
ALL_COMPLETE = pd.DataFrame({"edition": EDITIONS, "scope": "all", "complete": True})


def levels_of(pattern: str) -> list[int | str | None]:
    """'5 m -' → [5, 0, '-']: a level, a mention (0) or not labelled."""
    return [
        {"m": 0, "-": "-"}.get(
            part, None if part == "?" else (int(part) if part.isdigit() else part)
        )
        for part in pattern.split()
    ]


def make_palmares(
    path: Path,
    palmares=PALMARES,
    totals: bool = False,
    ten=TEN_2017,
    drop: set[tuple[str, int]] = frozenset(),
) -> Path:
    """A warehouse holding only `edition` and `laureates`, built from schema.sql.

    `totals`: publish per-edition totals and counts per level equal to the palmarès (so that
    the computed coverage finds every list complete); otherwise they are NULL (unknown).
    `drop`: (code, edition) rows missing from what we hold."""
    rows = []
    for code, (name, pattern) in palmares.items():
        for edition, level in zip(EDITIONS, levels_of(pattern), strict=True):
            if level == "-" or (code, edition) in drop:
                continue
            rows.append(
                {
                    "source_file": "tests/hand-made",
                    "source_row": len(rows) + 2,
                    "edition": edition,
                    "name": name,
                    "arobases": level,
                    "code": code,
                    "entity": "commune",
                    "resolution_method": "test",
                    "resolution_score": 1.0,
                    "distinction": (
                        "Territoire d'excellence numérique"
                        if edition == 2017 and code in ten
                        else None
                    ),
                }
            )
    laureates = pd.DataFrame(
        rows,
        columns=[
            "source_file",
            "source_row",
            "edition",
            "name",
            "arobases",
            "code",
            "entity",
            "resolution_method",
            "resolution_score",
            "distinction",
        ],
    )
    laureates = laureates.astype({"arobases": "Int64"})
    edition = pd.DataFrame(
        {"label_year": EDITIONS, "has_mention_level": [e < 2011 for e in EDITIONS]}
    )
    if totals:
        everything = pd.DataFrame(
            [
                {"edition": e, "level": lv}
                for code, (_, pattern) in palmares.items()
                for e, lv in zip(EDITIONS, levels_of(pattern), strict=True)
                if lv != "-"
            ]
        )

        def count(e, lv=None):
            at = everything["edition"] == e
            return int((at if lv is None else at & (everything["level"] == lv)).sum())

        edition["total_labelled"] = [count(e) for e in EDITIONS]
        for lv in range(1, 6):
            edition[f"n_{lv}"] = [count(e, lv) for e in EDITIONS]
        edition["n_mention"] = [count(e, 0) if e < 2011 else None for e in EDITIONS]
    with duckdb.connect(str(path)) as con:
        con.execute(SCHEMA_SQL)
        con.register("l", laureates)
        con.execute("INSERT INTO laureates BY NAME SELECT * FROM l")
        con.register("e", edition)
        con.execute("INSERT INTO edition BY NAME SELECT * FROM e")
    return path


@pytest.fixture
def complete_db(tmp_path):
    with duckdb.connect(str(make_palmares(tmp_path / "hand.duckdb")), read_only=True) as con:
        yield con


@pytest.fixture
def complete(complete_db):
    """The hand-made palmarès with every edition declared complete."""
    return c.build_basis(complete_db, coverage=ALL_COMPLETE)


@pytest.fixture
def incomplete_db(tmp_path):
    with duckdb.connect(str(make_palmares(tmp_path / "partial.duckdb")), read_only=True) as con:
        yield con


@pytest.fixture
def incomplete(incomplete_db):
    """The hand-made palmarès with nothing published: coverage unknown everywhere."""
    return c.build_basis(incomplete_db)


def row(frame: pd.DataFrame, code: str) -> pd.Series:
    (i,) = frame.index[frame["code"] == code]
    return frame.loc[i]


# ---------------------------------------------------------------------------------------------
# Complete coverage: every number by hand.

#: code: (editions_labelled, first, last, longest_streak, current_streak, longest_streak_5,
#:        labels_5, gaps, gap_editions)
EXPECTED = {
    # A: labelled in all 12 editions; 5 @ from 2005 to 2012 is 7 editions (2009 → 2011 is
    # consecutive), broken by 4 @ in 2013; 11 labels at 5 @; never a gap.
    "T0001": (12, 2005, 2017, 12, 12, 7, 11, 0, None),
    # B: labelled 2005-2006, 2009-2012 (3 editions: 2009, 2011, 2012), 2014-2017 (4): 9
    # editions, longest 4, current 4; 5 @ runs 2009-2012 (3) and 2015-2017 (3): longest 3, six
    # 5 @ labels; two gaps, 2007-2008 and 2013.
    "T0002": (9, 2005, 2017, 4, 4, 3, 6, 2, "2007|2008|2013"),
    # C: 2011-2014, four in a row, gone by 2017: current streak 0; no gap (no label after).
    "T0003": (4, 2011, 2014, 4, 0, 0, 0, 0, None),
    # D: 2005-2008 (mention, 1, 1, 2), then nothing until 3 @ in 2017: one gap of 7 editions.
    "T0004": (5, 2005, 2017, 4, 1, 0, 0, 1, "2009|2011|2012|2013|2014|2015|2016"),
    # E: 2005-2011 is six consecutive editions (no 2010), then gone.
    "T0005": (6, 2005, 2011, 6, 0, 0, 0, 0, None),
}
COLUMNS = [
    "editions_labelled",
    "first_edition",
    "last_edition",
    "longest_streak",
    "current_streak",
    "longest_streak_5",
    "labels_5",
    "gaps",
    "gap_editions",
]


def check_expected(table: pd.DataFrame) -> None:
    for code, expected in EXPECTED.items():
        got = row(table, code)
        assert tuple(None if pd.isna(got[col]) else got[col] for col in COLUMNS) == expected, code
        for col in COLUMNS[:-2]:  # exact: the bounds agree
            if col not in ("first_edition", "last_edition"):
                assert got[f"{col}_min"] == got[f"{col}_max"] == got[col], (code, col)


def test_continuity_table_complete_coverage_declared(complete):
    table = c.continuity_table(complete)
    assert list(table["code"]) == sorted(PALMARES)
    check_expected(table)
    b = row(table, "T0002")
    assert b["trajectory"] == (
        "2005:3 2006:4 2007:- 2008:- 2009:5 2011:5 2012:5 2013:- 2014:4 2015:5 2016:5 2017:5"
    )
    assert row(table, "T0004")["trajectory"].startswith("2005:m 2006:1 2007:1 2008:2 2009:-")
    assert row(table, "T0001")["name"] == "Testville A"
    assert (table["editions_unknown"] == 0).all() and not table["uses_claims"].any()
    # the result says what it rests on
    cov = c.coverage_of(table)
    assert cov.loc[cov["scope"] == "all", "complete"].all()
    assert "complete editions: 2005, 2006" in table.attrs["basis"]
    assert table.attrs["claims"] == "not used" and table.attrs["synthetic"] is False
    assert table.attrs["editions"] == EDITIONS


def test_published_totals_make_the_same_coverage(tmp_path):
    """Totals equal to the rows held: the computed coverage is complete (an empty level list
    included) and the table is the same as with the declared coverage."""
    with duckdb.connect(
        str(make_palmares(tmp_path / "t.duckdb", totals=True)), read_only=True
    ) as con:
        basis = c.build_basis(con, ten_published={2017: 2})
        cov = basis.coverage
        assert cov.loc[cov["scope"] == "all", "status"].eq("complete").all()
        assert cov["complete"].all()  # every level, and TEN 2017: 2 held of 2 published
        check_expected(c.continuity_table(basis))


#: Transitions per pair of consecutive editions (A, B, C, D, E), by hand:
#: 2005→06 A 5→5 renewal, B 3→4 up, D m→1 up, E 2→2 renewal
#: 2006→07 A renewal, B exit, D 1→1 renewal, E 2→3 up
#: 2007→08 A renewal, D 1→2 up, E 3→3 renewal
#: 2008→09 A renewal, B return (labelled before 2007), D exit, E 3→4 up
#: 2009→11 A renewal, B 5→5 renewal, C entry, E 4→4 renewal
#: 2011→12 A renewal, B renewal, C 1→2 up, E exit
#: 2012→13 A 5→4 down, B exit, C 2→2 renewal
#: 2013→14 A 4→5 up, B return, C 2→3 up
#: 2014→15 A renewal, B 4→5 up, C exit
#: 2015→16 A renewal, B renewal
#: 2016→17 A renewal, B renewal, D return
#:            entry return renewal upgrade downgrade exit unknown
TRANSITION_COUNTS = [
    (2005, 2006, 0, 0, 2, 2, 0, 0, 0),
    (2006, 2007, 0, 0, 2, 1, 0, 1, 0),
    (2007, 2008, 0, 0, 2, 1, 0, 0, 0),
    (2008, 2009, 0, 1, 1, 1, 0, 1, 0),
    (2009, 2011, 1, 0, 3, 0, 0, 0, 0),
    (2011, 2012, 0, 0, 2, 1, 0, 1, 0),
    (2012, 2013, 0, 0, 1, 0, 1, 1, 0),
    (2013, 2014, 0, 1, 0, 2, 0, 0, 0),
    (2014, 2015, 0, 0, 1, 1, 0, 1, 0),
    (2015, 2016, 0, 0, 2, 0, 0, 0, 0),
    (2016, 2017, 0, 1, 2, 0, 0, 0, 0),
]


def test_transitions_complete(complete):
    counts = c.transition_counts(complete)
    assert [tuple(r) for r in counts.itertuples(index=False)] == TRANSITION_COUNTS
    rows = c.transitions(complete)
    b = rows[rows["code"] == "T0002"].set_index("to_edition")
    assert b.loc[2007, "transition"] == "exit" and b.loc[2007, "to_state"] == "absent"
    assert b.loc[2009, "transition"] == "return" and b.loc[2009, "from_state"] == "absent"
    assert (
        rows.loc[(rows["code"] == "T0003") & (rows["to_edition"] == 2011), "transition"].item()
        == "entry"
    )
    assert (rows["transition"] == rows["possible"]).all()  # nothing left open

    pooled = c.transition_matrix(complete, pooled=True)
    cell = pooled.set_index(["from_state", "to_state"])["collectivities"]
    # 5 @ → 5 @: A in 9 pairs (all but 2012→13 and 2013→14), B in 2009→11, 11→12, 15→16,
    # 16→17: 13
    assert cell[("5@", "5@")] == 13
    assert cell[("mention", "1@")] == 1  # D, 2005 → 2006: an upgrade
    # 5 collectivities × 11 pairs
    assert pooled["collectivities"].sum() == 55
    assert "unknown" not in set(pooled["from_state"]) | set(pooled["to_state"])


def test_retention_complete(complete):
    spells = c.retention_spells(complete).set_index("code")
    # first spells: A 12 editions to the end of the data (censored), B 2 (gone 2007),
    # C 4 from 2011 (gone 2015), D 4 (gone 2009), E 6 (gone 2012)
    assert spells["cohort"].to_dict() == {
        "T0001": 2005,
        "T0002": 2005,
        "T0003": 2011,
        "T0004": 2005,
        "T0005": 2005,
    }
    assert spells["duration"].to_dict() == {
        "T0001": 12,
        "T0002": 2,
        "T0003": 4,
        "T0004": 4,
        "T0005": 6,
    }
    assert spells["event"].to_dict() == {
        "T0001": False,
        "T0002": True,
        "T0003": True,
        "T0004": True,
        "T0005": True,
    }
    km = c.retention(complete)
    s2005 = km[km["cohort"] == 2005].set_index("duration")
    # cohort 2005 = A, B, D, E: at t = 2, 4 at risk, B ends: 3/4; t = 4, 3 at risk, D ends:
    # 3/4 × 2/3 = 1/2; t = 6, 2 at risk, E ends: 1/4; A is censored at 12.
    assert s2005["survival"].round(6).to_dict() == {
        1: 1.0,
        2: 0.75,
        3: 0.75,
        4: 0.5,
        5: 0.5,
        6: 0.25,
        7: 0.25,
        8: 0.25,
        9: 0.25,
        10: 0.25,
        11: 0.25,
        12: 0.25,
    }
    assert s2005.loc[2, ["at_risk", "events"]].tolist() == [4, 1]
    assert s2005.loc[12, ["at_risk", "events", "censored"]].tolist() == [1, 0, 1]
    # Greenwood at t = 2: S² × 1 / (4 × 3)
    assert s2005.loc[2, "se"] == pytest.approx(0.75 * math.sqrt(1 / 12))
    s2011 = km[km["cohort"] == 2011].set_index("duration")
    assert s2011["survival"].tolist() == [1.0, 1.0, 1.0, 0.0]
    pooled = c.retention(complete, pooled=True).set_index("duration")
    # all five: t = 2, 5 at risk, 1 ends: 4/5; t = 4, 4 at risk (A, C, D, E), 2 end: 2/5;
    # t = 6, 2 at risk, 1 ends: 1/5
    assert pooled.loc[[2, 4, 6], "survival"].round(6).tolist() == [0.8, 0.4, 0.2]
    # at 5 @: A from 2005 for 7 editions, then 4 @ in 2013 (an event); B from 2009 (2005-2008
    # known not 5 @) for 3 editions, then absent in 2013
    five = c.retention_spells(complete, min_level=5).set_index("code")
    assert five[["cohort", "duration", "event"]].to_dict("index") == {
        "T0001": {"cohort": 2005, "duration": 7, "event": True},
        "T0002": {"cohort": 2009, "duration": 3, "event": True},
    }


def test_ten_rules_complete(complete_db):
    # both TEN 2017 laureates held: the list is complete
    basis = c.build_basis(complete_db, coverage=ALL_COMPLETE, ten_published={2017: 2})
    el = c.ten_eligibility(basis, [2017])
    got = el.set_index("code")[["ten", "labels_5_min", "labelled_min", "six_5", "six_labelled"]]
    # up to and including 2017: A 11 × 5 @ in 12 editions; B six 5 @ (2009, 2011, 2012, 2015,
    # 2016, 2017) in 9; C 4 editions; D 5; E 6 editions, never 5 @
    assert got.to_dict("index") == {
        "T0001": {
            "ten": True,
            "labels_5_min": 11,
            "labelled_min": 12,
            "six_5": "yes",
            "six_labelled": "yes",
        },
        "T0002": {
            "ten": True,
            "labels_5_min": 6,
            "labelled_min": 9,
            "six_5": "yes",
            "six_labelled": "yes",
        },
        "T0003": {
            "ten": False,
            "labels_5_min": 0,
            "labelled_min": 4,
            "six_5": "no",
            "six_labelled": "no",
        },
        "T0004": {
            "ten": False,
            "labels_5_min": 0,
            "labelled_min": 5,
            "six_5": "no",
            "six_labelled": "no",
        },
        "T0005": {
            "ten": False,
            "labels_5_min": 0,
            "labelled_min": 6,
            "six_5": "no",
            "six_labelled": "yes",
        },
    }
    # at 2009, C (first labelled in 2011) is not yet part of the question; D, absent in 2009
    # but labelled before, is
    assert sorted(c.ten_eligibility(basis, [2009])["code"]) == ["T0001", "T0002", "T0004", "T0005"]
    # before 2017: B had five 5 @ only, so the strict reading says B was not eligible
    before = c.ten_eligibility(basis, [2017], through_current=False).set_index("code")
    assert before.loc["T0002", ["labels_5_min", "labels_5_max", "six_5"]].tolist() == [5, 5, "no"]
    assert before.loc["T0004", "six_labelled"] == "no"  # 2005-2008: four
    summary = c.ten_summary(basis, [2017])
    s = summary.iloc[0]
    assert (
        s["ten_list_complete"],
        s["laureates_six_5_yes"],
        s["laureates_six_labelled_yes"],
        s["not_on_list_six_5_yes"],
        s["not_on_list_six_labelled_yes"],
    ) == (True, 2, 2, 0, 1)
    s = c.ten_summary(basis, [2017], through_current=False).iloc[0]
    assert (s["laureates_six_5_yes"], s["laureates_six_5_no"]) == (1, 1)
    check = c.ten_check(basis, 2017)
    assert set(check["code"]) == TEN_2017 and check["resolved"].all()
    assert "six 5 @ labels: met" in row(check, "T0002")["can_confirm"]
    assert row(check, "T0002")["cannot_confirm"] == ""


# ---------------------------------------------------------------------------------------------
# The same palmarès, coverage unknown: unknowns, never exits.


def test_incomplete_reports_unknowns_not_exits(incomplete):
    table = c.continuity_table(incomplete)
    a, b, cc, e = (row(table, code) for code in ("T0001", "T0002", "T0003", "T0005"))
    # A is held in every edition: the answer is exact even without coverage; 2013 at 4 @ is
    # known not 5 @, so the 5 @ streak is exactly 7
    assert (
        a["editions_labelled"],
        a["longest_streak"],
        a["longest_streak_5"],
        a["labels_5"],
        a["gaps"],
    ) == (12, 12, 7, 11, 0)
    # B: 2007, 2008 and 2013 are unknown: 9 to 12 editions, streak at least 4 (could be all
    # 12), 6 to 9 labels at 5 @, 5 @ streak 3 to 6 (2007-2013 could all be 5 @)
    assert pd.isna(b["editions_labelled"]) and (
        b["editions_labelled_min"],
        b["editions_labelled_max"],
    ) == (9, 12)
    assert pd.isna(b["longest_streak"]) and (b["longest_streak_min"], b["longest_streak_max"]) == (
        4,
        12,
    )
    assert (b["labels_5_min"], b["labels_5_max"]) == (6, 9) and pd.isna(b["labels_5"])
    assert (b["longest_streak_5_min"], b["longest_streak_5_max"]) == (3, 6)
    assert pd.isna(b["gaps"]) and b["gaps_min"] == 0 and b["editions_unknown"] == 3
    assert b["first_edition"] == 2005 and b["last_edition"] == 2017  # first and last editions
    assert b["trajectory"] == "2005:3 2006:4 2009:5 2011:5 2012:5 2014:4 2015:5 2016:5 2017:5"
    # C: first and last unknown (held 2011-2014 only); current streak 0 (if it left in 2015)
    # to 12 (if it was labelled in every edition we do not hold)
    assert pd.isna(cc["first_edition"]) and cc["first_edition_held"] == 2011
    assert pd.isna(cc["last_edition"]) and cc["last_edition_held"] == 2014
    assert (cc["current_streak_min"], cc["current_streak_max"]) == (0, 12)
    assert (e["longest_streak_min"], e["longest_streak_max"]) == (6, 12)
    assert table.attrs["basis"].startswith("12 editions 2005-2017; complete editions: none")

    rows = c.transitions(incomplete)
    assert not rows["transition"].isin(["exit", "entry", "return"]).any()
    assert rows["possible"].str.contains("exit").any()
    exits = rows[(rows["code"] == "T0002") & (rows["to_edition"] == 2007)].iloc[0]
    assert (exits["transition"], exits["possible"]) == ("unknown", "renewal|upgrade|downgrade|exit")
    assert exits["to_state"] == "unknown"
    enters = rows[(rows["code"] == "T0003") & (rows["to_edition"] == 2011)].iloc[0]
    assert enters["possible"] == "entry|return|renewal|upgrade|downgrade"
    # pairs of rows held on both sides stay exact (A's downgrade in 2013)
    assert (
        rows.loc[(rows["code"] == "T0001") & (rows["to_edition"] == 2013), "transition"].item()
        == "downgrade"
    )
    counts = c.transition_counts(incomplete)
    assert counts[["entry", "return", "exit"]].sum().sum() == 0

    spells = c.retention_spells(incomplete).set_index("code")
    # no exit is known: every spell is censored; C's first edition is unknown
    assert not spells["event"].any()
    assert pd.isna(spells.loc["T0003", "cohort"])
    km = c.retention(incomplete)
    assert (km["survival"] == 1.0).all() and km.attrs["excluded"] == 1

    el = c.ten_eligibility(incomplete, [2017]).set_index("code")
    assert el.loc["T0005", "six_labelled"] == "yes"  # six held
    assert el.loc["T0003", "six_labelled"] == "unknown"  # 4 held, 12 possible
    # A and B are held on the TEN list; without a published TEN count the list is not known
    # complete, so the others are not known to be off it
    assert el["ten"].isna().tolist() == [False, False, True, True, True]
    assert el.loc[["T0001", "T0002"], "ten"].all()


def test_a_complete_level_list_narrows_the_unknowns(incomplete_db):
    """Only 2013's 5 @ list declared complete: B, 5 @ in 2012 and not on it, either went
    down or left."""
    coverage = pd.DataFrame({"edition": [2013], "scope": ["5@"], "complete": [True]})
    basis = c.build_basis(incomplete_db, coverage=coverage)
    rows = c.transitions(basis)
    b = rows[(rows["code"] == "T0002") & (rows["to_edition"] == 2013)].iloc[0]
    assert (b["transition"], b["possible"], b["to_state"]) == (
        "unknown",
        "downgrade|exit",
        "unknown, not 5@",
    )
    table = c.continuity_table(basis)
    # the 5 @ run can now reach 2007-2012 at most (5 editions)
    assert row(table, "T0002")["longest_streak_5_max"] == 5
    assert c.coverage_of(table).query("basis == 'declared'")["scope"].tolist() == ["5@"]


# ---------------------------------------------------------------------------------------------
# Claims.


def claim_facts() -> pd.DataFrame:
    return pd.DataFrame(
        [
            # A's 2013 row is not held; a claim says 4 @ that year
            {
                "claim_row": 101,
                "code": "T0001",
                "fact": "level_at",
                "arobases": 4,
                "editions": [2013],
                "count": None,
                "consecutive": False,
                "up_to": None,
            },
            # "B: 5 @ for the sixth time in 2017"
            {
                "claim_row": 102,
                "code": "T0002",
                "fact": "count_up_to",
                "arobases": 5,
                "editions": [],
                "count": 6,
                "consecutive": False,
                "up_to": 2017,
            },
            # "C took part for the first time in 2011"
            {
                "claim_row": 103,
                "code": "T0003",
                "fact": "first_participation",
                "arobases": None,
                "editions": [2011],
                "count": None,
                "consecutive": False,
                "up_to": None,
            },
            # contradicted by the palmarès (A is held at 5 @ in 2012): ignored, counted
            {
                "claim_row": 104,
                "code": "T0001",
                "fact": "level_at",
                "arobases": 3,
                "editions": [2012],
                "count": None,
                "consecutive": False,
                "up_to": None,
            },
        ]
    )


def test_claims_fill_streaks_only_when_allowed(tmp_path):
    path = make_palmares(tmp_path / "c.duckdb", drop={("T0001", 2013)})
    with duckdb.connect(str(path), read_only=True) as con:
        without = c.continuity_table(c.build_basis(con))
        a = row(without, "T0001")
        assert pd.isna(a["longest_streak"]) and (
            a["longest_streak_min"],
            a["longest_streak_max"],
        ) == (7, 12)
        assert without.attrs["claims"] == "not used" and not without["uses_claims"].any()

        claimed = c.build_basis(con, claims=claim_facts())
        table = c.continuity_table(claimed)
        a, b, cc = (row(table, code) for code in ("T0001", "T0002", "T0003"))
        # A: 2013 at 4 @ by the claim: twelve in a row, exactly
        assert (a["longest_streak"], a["editions_labelled"], a["uses_claims"]) == (12, 12, True)
        assert "2013:4*" in a["trajectory"] and a["claim_conflicts"] == 1
        assert "2012:5 " in a["trajectory"]  # the contradicted claim changed nothing
        # B: exactly six 5 @ up to 2017, so 2007, 2008 and 2013 were not 5 @
        assert (b["labels_5"], b["uses_claims"]) == (6, True)
        # C: absent before 2011, so 2011 is its first edition
        assert (cc["first_edition"], cc["uses_claims"]) == (2011, True)
        assert table.attrs["claims"].startswith("used: 4 structured facts")
        spells = c.retention_spells(claimed).set_index("code")
        assert spells.loc["T0003", ["cohort", "duration", "event"]].tolist() == [2011, 4, False]
        el = c.ten_eligibility(claimed, [2017]).set_index("code")
        assert el.loc["T0002", ["labels_5_min", "labels_5_max", "six_5"]].tolist() == [6, 6, "yes"]
        # before 2017 the count claim still narrows: six 5 @ up to 2017, 2017 itself among them,
        # so exactly five before (the data alone allow 5 to 8)
        alone = c.ten_eligibility(c.build_basis(con), [2017], through_current=False)
        assert row(alone, "T0002")[["labels_5_min", "labels_5_max"]].tolist() == [5, 8]
        before = c.ten_eligibility(claimed, [2017], through_current=False)
        b = row(before, "T0002")
        assert b[["labels_5_min", "labels_5_max", "six_5"]].tolist() == [5, 5, "no"]
        assert b["count_claims"] == "6 × 5@ up to 2017 (claim row 102)"


def test_an_empty_palmares_gives_empty_tables(tmp_path):
    path = make_palmares(tmp_path / "empty.duckdb", palmares={})
    with duckdb.connect(str(path), read_only=True) as con:
        basis = c.build_basis(con)
        table = c.continuity_table(basis)
        assert table.empty and {"code", "longest_streak", "labels_5"} <= set(table.columns)
        assert c.transitions(basis).empty and c.retention(basis).empty
        assert c.ten_check(basis, 2017).empty
        assert list(c.transition_counts(basis)["unknown"]) == [0] * (len(EDITIONS) - 1)


# ---------------------------------------------------------------------------------------------
# The report page: French tables from one basis, the tables written as computed.


def test_the_page_in_french(complete):
    page = c.continuity_page(complete)
    loyal = page.shown["loyal"]
    assert loyal["name"].tolist()[:2] == ["Testville A", "Testville B"]  # 12, then 9 editions
    assert loyal.attrs["headers"]["editions_labelled_min"] == "Éditions labellisées (au moins)"
    assert loyal.attrs["source"] == page.source and "claims" not in page.source
    assert page.shown["matrix"].attrs["title"].startswith("Matrice de transition")
    assert "non labellisée" in set(page.shown["matrix"]["from_state"])
    assert page.heading.startswith("**Ce sur quoi reposent ces résultats.** 12 éditions")
    # every edition complete: a first edition is known for all five, so there is a curve
    assert page.no_curve is None and page.survival.attrs["spells"] == 5
    assert page.figure_name == "continuite_survie.png"
    assert list(page.files) == [
        "continuite",
        "continuite_transitions",
        "continuite_survie",
        "continuite_ten",
    ]
    assert page.files["continuite"]["collectivites"].equals(c.continuity_table(complete))


def test_the_page_says_why_there_is_no_curve(tmp_path):
    with duckdb.connect(str(make_palmares(tmp_path / "e.duckdb", palmares={}))) as con:
        page = c.continuity_page(c.build_basis(con, claims=claim_facts().iloc[:0]))
    assert page.survival.empty and "continuite_survie" not in page.files
    assert page.no_curve.startswith("**Pas de courbe de fidélité sur nos données** : aucune des 0")
    assert "continuite_avec_claims" in page.files and page.figure_name.endswith("_claims.png")
    assert page.source.endswith("Les affirmations de presse (claims) complètent le palmarès.")


def test_bounds_in_french():
    assert [c.bounds(6, 6), c.bounds(2, 5), c.bounds(pd.NA, pd.NA)] == ["6", "2 à 5", "?"]


# ---------------------------------------------------------------------------------------------
# Synthetic palmarès: flagged, kept away from real data, same answer as the pandas loop
# (tests/continuity_oracle.py).


@pytest.fixture
def small_synthetic(tmp_path):
    communes = pd.DataFrame(
        {
            "code": [f"S{n:04d}" for n in range(300)],
            "name": [f"Synthétique {n}" for n in range(300)],
            "departement": "00",
        }
    )
    made = synthetic.write_synthetic_warehouse(
        tmp_path / "syn.duckdb", seed=7, participation=0.5, communes=communes
    )
    return made


def test_synthetic_rows_are_flagged_and_refused_near_real_data(small_synthetic, tmp_path):
    with duckdb.connect(str(small_synthetic.path), read_only=True) as con:
        flags = con.execute(
            "SELECT bool_and(is_synthetic), bool_and(source_file LIKE 'synthetic://%'), "
            "bool_and(note LIKE 'SYNTHETIC%'), count(*) FROM laureates"
        ).fetchone()
        assert flags == (True, True, True, small_synthetic.rows)
        assert con.execute("SELECT bool_and(is_synthetic) FROM edition").fetchone() == (True,)
        table = c.continuity_table(c.build_basis(con))
    assert table.attrs["synthetic"] and table["is_synthetic"].all()
    with pytest.raises(ValueError, match="real data"):
        synthetic.write_synthetic_warehouse(DEFAULT_ROOT / "data" / "processed" / "x.duckdb")
    real_like = make_palmares(tmp_path / "real.duckdb")
    with pytest.raises(ValueError, match="not a synthetic"):
        synthetic.write_synthetic_warehouse(real_like)


def test_synthetic_and_real_rows_never_mix(small_synthetic, tmp_path):
    path = tmp_path / "mixed.duckdb"
    make_palmares(path)
    with duckdb.connect(str(path)) as con:
        con.execute("ATTACH ? AS syn (READ_ONLY)", [str(small_synthetic.path)])
        con.execute(
            "INSERT INTO laureates SELECT * EXCLUDE (is_synthetic) FROM syn.laureates LIMIT 5"
        )
    with (
        duckdb.connect(str(path), read_only=True) as con,
        pytest.raises(ValueError, match="mixes 5 synthetic rows"),
    ):
        c.build_basis(con)


def test_sql_and_pandas_loop_agree(small_synthetic, tmp_path):
    """The grid's SQL gives the same table as the oracle, a plain pandas loop."""

    def agree(con, coverage) -> bool:
        sql = c.continuity_table(c.build_basis(con, coverage=coverage))
        return same_tables(sql, continuity_table_pandas(con, coverage)) == []

    with duckdb.connect(str(small_synthetic.path), read_only=True) as con:
        # the generated palmarès is complete; declare half of the editions unknown as well
        partial = pd.DataFrame(
            {"edition": synthetic.EDITIONS[::2], "scope": "all", "complete": False}
        )
        assert agree(con, None) and agree(con, partial)
    with duckdb.connect(str(make_palmares(tmp_path / "h.duckdb")), read_only=True) as con:
        assert agree(con, None) and agree(con, ALL_COMPLETE)


def test_synthetic_levels_persist():
    states = synthetic.generate_levels(20_000, seed=1)
    assert states.shape == (20_000, 27) and (states >= 0).all()  # everyone, every edition
    same = (states[:, 1:] == states[:, :-1]).mean()
    assert 0.65 < same < 0.85  # about 70 % keep their level (more at 5 @)
    assert (states[:, 11:] != 0).all()  # no mention from 2011 (column 11 = 2011)


# ---------------------------------------------------------------------------------------------
# The real warehouse: the TEN 2021 list, what the data can and cannot confirm.


@pytest.fixture
def real(real_warehouse):
    """The real warehouse, built from the committed palmarès: the facts below were checked by
    hand in data/raw/palmares/laureates.csv."""
    with duckdb.connect(str(real_warehouse.warehouse), read_only=True) as con:
        yield c.build_basis(con)


def test_ten_2021_on_the_real_palmares(real):
    check = c.ten_check(real, 2021)
    awarded = EXPECTED_COUNTS["ten"]["awarded"]["2021"]  # "Quatorze collectivités" (Localtis)
    assert len(check) == awarded  # all held
    assert check.attrs["ten_list"]["complete"] and check.attrs["ten_list"]["published"] == awarded
    assert check["resolved"].sum() == EXPECTED_COUNTS["ten"]["resolved_2021"]
    assert set(check.columns) >= {
        "code",
        "name",
        "six_5",
        "six_labelled",
        "can_confirm",
        "cannot_confirm",
        "labels_5_min",
        "labels_5_max",
    }
    assert set(check["six_5"]) <= {"yes", "no", "unknown"}
    assert (check["six_5"] != "no").all()  # nothing in the data rules a laureate out
    # Mérignac: three communes of that name, no département given: set aside, not guessed
    merignac = check[~check["resolved"]].iloc[0]
    assert merignac["name"] == "Mérignac" and pd.isna(merignac["code"])
    assert "33281" in merignac["cannot_confirm"]
    # Grenoble: 5 @ in 2008, 2009, 2011, 2012, 2014 and 2017 (laureates.csv): six, rule met
    grenoble = row(check, "38185")
    assert (grenoble["six_5"], grenoble["labels_5_min"]) == ("yes", 6)
    assert "2008, 2009, 2011, 2012, 2014, 2017" in grenoble["can_confirm"]
    # Agen: 5 @ in 2008, 2011, 2014, 2015, 2017 (five) and labelled in 2021: six labelled
    # editions up to 2021, but the sixth 5 @ is not in the data
    agen = row(check, "47001")
    assert (agen["labels_5_min"], agen["six_5"], agen["six_labelled"]) == (5, "unknown", "yes")
    assert "1 more needed" in agen["cannot_confirm"]
    # Villiers-le-Bel: only its 2021 row, level not stated
    assert row(check, "95680")[["labels_5_min", "labelled_min", "six_5"]].tolist() == [
        0,
        1,
        "unknown",
    ]


def test_real_continuity_is_honest(real):
    table = c.continuity_table(real)
    assert table["first_edition"].isna().all()  # 1999-2004 unknown for everyone
    grenoble = row(table, "38185")
    assert pd.isna(grenoble["longest_streak"]) and grenoble["longest_streak_min"] == 4
    assert grenoble["labels_5_min"] == 6
    # the 5 @ lists of 2008 and 2009 are complete: of the twelve 2008 5 @ we resolve, nine
    # are on the 2009 list, and Agen, Gluiras, Perpignan went down or left
    matrix = c.transition_matrix(real)
    pair = matrix[(matrix["from_edition"] == 2008) & (matrix["from_state"] == "5@")]
    assert pair.set_index("to_state")["collectivities"].to_dict() == {"5@": 9, "unknown, not 5@": 3}
    # no first edition is known, so the page has no retention curve and says why
    page = c.continuity_page(real)
    assert page.no_curve.startswith(
        f"**Pas de courbe de fidélité sur nos données** : aucune des {len(table)} collectivités"
    )


def test_real_claims_are_used_only_when_asked(real):
    with_claims = c.ten_check(c.build_basis(real.con, claims=True), 2021)
    assert row(c.ten_check(real, 2021), "27467")["six_5"] == "unknown"
    pont_audemer = row(with_claims, "27467")  # "cinq @ pour la septième fois" (2019)
    assert (pont_audemer["six_5"], pont_audemer["uses_claims"]) == ("yes", True)
    assert "claim row 2" in pont_audemer["can_confirm"]


# ---------------------------------------------------------------------------------------------
# `palmares export continuity`: the open-data file.


@pytest.mark.parametrize("totals", [True, False])
def test_export_continuity_csv(tmp_path, monkeypatch, capsys, totals):
    from pipeline.cli import main

    monkeypatch.setenv("PALMARES_ROOT", str(tmp_path))
    warehouse = tmp_path / "data" / "processed" / "warehouse.duckdb"
    warehouse.parent.mkdir(parents=True)
    make_palmares(warehouse, totals=totals)
    out = tmp_path / "continuity.csv"
    assert main(["export", "continuity", "--out", str(out)]) == 0
    assert "the coverage it rests on" in capsys.readouterr().out
    table = pd.read_csv(out, dtype={"code": str})
    assert list(table.columns[:8]) == [
        "code",
        "name",
        "editions_labelled",
        "first_edition",
        "last_edition",
        "longest_streak",
        "current_streak",
        "labels_5",
    ]
    b = row(table, "T0002")
    coverage = pd.read_csv(tmp_path / "continuity.coverage.csv")
    if totals:  # published totals equal to what we hold: every list complete, exact answers
        assert [b[col] for col in COLUMNS[:7]] == list(EXPECTED["T0002"][:7])
        assert coverage.loc[coverage["scope"] == "all", "complete"].all()
    else:  # nothing published: unknown, with the bounds that the data allow
        assert b[["longest_streak", "labels_5", "editions_labelled"]].isna().all()
        assert (b["longest_streak_min"], b["labels_5_min"]) == (4, 6)
        assert not coverage["complete"].any()
    listed = main(["export", "--list"])
    assert listed == 0 and "continuity" in capsys.readouterr().out
