"""What a press claim says about the palmarès: one reading, used to check the claim when the
warehouse is built (`claim.check_status`) and to narrow the continuity analyses.

A claim's structured facts (claim_facts.csv, see `sources.claims`) become *constraints*:
- cells: (edition, mask), the states the collectivity may have in that edition (bits below);
- counts: (level, up_to, count), exactly `count` labels at `level` @ in the editions up to
  `up_to`.

The readings (README, "Press claims"), editions being the label years (2009 → 2011 is
consecutive, there was no label 2010):
- `level_at` «5 @ en 2018 et 2019»: L @ in each of those editions;
- `count_up_to`, consecutive «5 @ pour la 3e fois consécutive» stated for edition U: L @ in the
  N editions ending at U, and *not* L @ in the edition before them, otherwise it would be the
  (N+1)th consecutive time;
- `count_up_to`, not consecutive «5 @ pour la septième fois»: exactly N labels at L @ in the
  editions up to U;
- `labelled_since` «labellisée depuis N ans» stated for U: labelled (at L @ when the claim
  gives a level) in every edition whose label year lies in the N years ending at U; nothing
  about the years before (the words do not say the collectivity was absent then);
- `first_at_level`: L @ at that edition, not L @ in any edition before;
- `first_participation`: labelled at that edition, not labelled in any edition before.

A claim is *contradicted* when what the data allow in a cell has no state in common with the
cell's mask, or when a count lies outside what the data allow (more labels certain than
claimed, or fewer possible). It is *consistent* when it is not contradicted and a row held
confirms part of it (a row labelled at an unstated level does not confirm a level); *not
checkable* otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

# States of a (collectivity, edition) cell as bits: bit 0 = absent (not labelled), bit L + 1 =
# labelled at L @ (0 = mention).
ABSENT = 1
MENTION = 2
LABELLED = 126  # any level, mention included
ALL_STATES = 127
LEVELS = (0, 1, 2, 3, 4, 5)


def level_bit(level: int) -> int:
    """The bit of a level (0 = mention)."""
    return 1 << (level + 1)


def held_mask(levels: Iterable[int]) -> int:
    """What rows held for one collectivity and edition allow: their stated levels, or any
    level when none states it."""
    bits = 0
    for level in levels:
        bits |= level_bit(int(level))
    return bits or LABELLED


def fact_constraints(
    fact, editions: list[int]
) -> tuple[list[tuple[int, int]], list[tuple[int, int, int]]]:
    """One structured fact as cell masks [(edition, mask)] and counts [(level, up_to, count)],
    over the label years `editions` (sorted)."""
    years = [int(y) for y in (fact.editions if isinstance(fact.editions, list) else [])]
    level = None if pd.isna(fact.arobases) else int(fact.arobases)
    at_level = LABELLED if level is None else level_bit(level)
    cells: list[tuple[int, int]] = []
    counts: list[tuple[int, int, int]] = []
    if fact.fact == "level_at":
        cells += [(y, at_level) for y in years if y in editions]
    elif fact.fact == "count_up_to":
        window = [e for e in editions if e <= int(fact.up_to)]
        if fact.consecutive:
            run = window[-int(fact.count) :]
            cells += [(y, at_level) for y in run]
            if len(window) > len(run):
                cells.append((window[-len(run) - 1], ALL_STATES & ~at_level))
        else:
            counts.append((level, int(fact.up_to), int(fact.count)))
    elif fact.fact == "labelled_since":
        up_to = int(fact.up_to)
        cells += [(e, at_level) for e in editions if up_to - int(fact.count) < e <= up_to]
    elif fact.fact == "first_at_level":
        (year,) = years
        cells.append((year, at_level))
        cells += [(e, ALL_STATES & ~at_level) for e in editions if e < year]
    elif fact.fact == "first_participation":
        (year,) = years
        cells.append((year, LABELLED))
        cells += [(e, ABSENT) for e in editions if e < year]
    else:
        raise ValueError(f"unknown claim fact {fact.fact!r}")
    return cells, counts


def count_window(
    masks: Mapping[int, int], level: int, up_to: int, editions: list[int]
) -> tuple[int, int]:
    """Labels at `level` certain and possible in the editions up to `up_to`, given what the
    data allow in each edition (`masks`; an edition not given allows every state)."""
    bit = level_bit(level)
    window = [masks.get(e, ALL_STATES) for e in editions if e <= up_to]
    return sum(mask == bit for mask in window), sum(bool(mask & bit) for mask in window)


def count_conflicts(certain: int, possible: int, count: int) -> bool:
    """A count claim the data cannot satisfy: more labels certain, or fewer possible."""
    return not certain <= count <= possible


def check(facts: Iterable, masks: Mapping[int, int], editions: list[int]) -> tuple[str, str]:
    """The verdict of a claim's facts against what the data allow (`masks`: edition → states
    the data allow for the collectivity; an edition not given allows every state):
    (status, what the palmarès says)."""
    verdicts = [_check_fact(fact, masks, editions) for fact in facts]
    if not verdicts:
        return "not_checkable", "no checkable fact (undated or context only)"
    order = ["contradicted", "consistent", "not_checkable"]
    return (
        min((status for status, _ in verdicts), key=order.index),
        "; ".join(detail for _, detail in verdicts),
    )


def _check_fact(fact, masks: Mapping[int, int], editions: list[int]) -> tuple[str, str]:
    cells, counts = fact_constraints(fact, editions)
    claimed = f"{describe_fact(fact)} claimed"
    for level, up_to, count in counts:
        certain, possible = count_window(masks, level, up_to, editions)
        allowed = f"{claimed}; the data allow {certain} to {possible}"
        if count_conflicts(certain, possible, count):
            return "contradicted", allowed
        return ("consistent", allowed) if certain else ("not_checkable", allowed)
    wrong = [(e, m) for e, m in cells if not masks.get(e, ALL_STATES) & m]
    if wrong:
        return "contradicted", f"{claimed}; " + ", ".join(
            f"{e}: {mask_text(masks[e])} held, {mask_text(m)} implied" for e, m in wrong
        )
    agree = [e for e, m in cells if e in masks and not masks[e] & ~m]  # a row held confirms
    if agree:
        return "consistent", f"{claimed}; held " + ", ".join(
            f"{e}: {mask_text(masks[e])}" for e in agree
        )
    return "not_checkable", f"{claimed}; no row held for the editions it speaks of"


def mask_text(mask: int) -> str:
    """A mask in words: 'absent', '5 @', '4/5 @', 'labelled', 'not 5 @'."""
    if mask == ABSENT:
        return "absent"
    if mask == LABELLED:
        return "labelled"
    levels = [lv for lv in LEVELS if mask & level_bit(lv)]
    if mask & ABSENT:
        missing = [lv for lv in LEVELS if not mask & level_bit(lv)]
        return "not " + "/".join(map(str, missing)) + " @"
    return "/".join(map(str, levels)) + " @"


def describe_fact(fact) -> str:
    """A fact in words, for the `claim` table's detail: '5 @ 3 consecutive times up to 2017'."""
    level = "labelled" if pd.isna(fact.arobases) else f"{int(fact.arobases)} @"
    years = "/".join(str(y) for y in (fact.editions if isinstance(fact.editions, list) else []))
    return {
        "level_at": lambda: f"{level} in {years}",
        "count_up_to": lambda: (
            f"{level} {int(fact.count)} "
            f"{'consecutive ' if fact.consecutive else ''}times up to "
            f"{int(fact.up_to)}"
        ),
        "labelled_since": lambda: f"{level} for {int(fact.count)} years in {int(fact.up_to)}",
        "first_at_level": lambda: f"first {level} in {years}",
        "first_participation": lambda: f"first label in {years}",
    }[fact.fact]()
