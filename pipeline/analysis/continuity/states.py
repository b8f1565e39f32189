"""A cell's states in words: trajectory tokens ('5', '1-4', '?', '-'), English labels ('labelled
1-4@', 'unknown, not 5@') and their French for reports."""

from __future__ import annotations

import pandas as pd

from pipeline.build.claim_semantics import ABSENT, ALL_STATES, LEVELS, level_bit


def mask_token(mask: int, allowed: int = ALL_STATES) -> str | None:
    """How a cell appears in a trajectory: the level (m = mention), a range of levels, '?'
    (labelled, level unknown), '-' (absent), None (not known whether labelled)."""
    if mask == ABSENT:
        return "-"
    if mask & ABSENT:
        return None
    levels = [lv for lv in LEVELS if mask & level_bit(lv)]
    possible = [lv for lv in LEVELS if allowed & level_bit(lv)]
    if levels == possible:
        return "?"
    return levels_text(levels, at=False)


def levels_text(levels: list[int], at: bool = True) -> str:
    """Levels in words: '5@', 'mention', '1-4@', '3/5@' (at=False: '5', 'm', '1-4')."""
    name = (
        (lambda lv: "mention" if lv == 0 else f"{lv}@")
        if at
        else (lambda lv: "m" if lv == 0 else str(lv))
    )
    if len(levels) == 1:
        return name(levels[0])
    if levels == list(range(levels[0], levels[-1] + 1)):
        return f"{name(levels[0]) if levels[0] == 0 else levels[0]}-{name(levels[-1])}"
    return "/".join(name(lv) for lv in levels)


def state_label(mask: int, allowed: int = ALL_STATES) -> str:
    """A cell's knowledge in words: 'absent', '5@', 'labelled, level unknown',
    'labelled 1-4@', 'unknown', 'unknown, not 5@'."""
    levels = [lv for lv in LEVELS if mask & level_bit(lv)]
    possible = [lv for lv in LEVELS if allowed & level_bit(lv)]
    if mask == ABSENT:
        return "absent"
    if not mask & ABSENT:
        if len(levels) == 1:
            return levels_text(levels)
        if levels == possible:
            return "labelled, level unknown"
        return f"labelled {levels_text(levels)}"
    if levels == possible:
        return "unknown"
    excluded = [lv for lv in possible if lv not in levels]
    return f"unknown, not {levels_text(excluded)}"


def french_state(label: str) -> str:
    """A `state_label` (or a coverage scope) in French, for reports: 'labelled 1-4@' →
    'labellisée 1-4 @', 'unknown, not 5@' → 'inconnu, pas 5 @'."""
    phrases = (
        ("labelled, level unknown", "labellisée, niveau inconnu"),
        ("unknown, not ", "inconnu, pas "),
        ("unknown", "inconnu"),
        ("labelled ", "labellisée "),
        ("absent", "non labellisée"),
    )
    for english, french in phrases:
        label = label.replace(english, french)
    return label.replace("@", " @").replace("  @", " @")


def states(masks: pd.Series, allowed: pd.Series) -> pd.Series:
    """`state_label` of each cell, computed once per distinct (mask, allowed)."""
    key = masks.astype("int64") + allowed.astype("int64") * 128
    return key.map({k: state_label(k & 127, k >> 7) for k in key.unique()})


def token_list(allowed: int) -> str:
    """SQL list of the trajectory token of every mask 1-127 (index = mask)."""
    tokens = (mask_token(mask, allowed) for mask in range(1, 128))
    return "[" + ", ".join("NULL" if t is None else f"'{t}'" for t in tokens) + "]"
