"""Retention: how long a collectivity's first spell in the label lasts, by cohort of first label
year (Kaplan-Meier), counting only spells whose first edition and end the coverage establish."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.analysis.continuity.basis import Basis, derived
from pipeline.build.claim_semantics import LABELLED, LEVELS, level_bit


def retention_spells(basis: Basis, min_level: int | None = None) -> pd.DataFrame:
    """Each collectivity's first spell: labelled (or at `min_level` @ or more) from its first
    such edition, for `duration` consecutive editions, then `event` = True when the next edition
    is known not to continue it; False (censored) when the next edition is unknown or the data
    end. Only collectivities whose first edition is known (every earlier edition known not to
    qualify) have a cohort; the others are listed with `cohort` NULL and the reason."""
    bits = LABELLED if min_level is None else sum(level_bit(lv) for lv in LEVELS if lv >= min_level)
    frame = basis.df(f"""
            , q AS (
                SELECT code, edition, idx, (mask & ~{bits}) = 0 AS q_c, (mask & {bits}) <> 0 AS q_p,
                       (mask & {bits}) = 0 AS q_not
                FROM flags
            ), firsts AS (
                SELECT code, min(idx) FILTER (q_c) AS f FROM q GROUP BY code
            ), spell AS (
                SELECT q.code, fs.f,
                    count_if(q.q_p AND q.idx < fs.f) AS maybe_earlier,
                    min(q.idx) FILTER (q.idx > fs.f AND NOT q.q_c) AS g
                FROM q JOIN firsts fs USING (code) WHERE fs.f IS NOT NULL GROUP BY q.code, fs.f
            )
            SELECT s.code, e.edition AS first_edition_held, s.maybe_earlier,
                   coalesce(s.g, (SELECT last_idx FROM last_ed) + 1) - s.f AS duration,
                   coalesce(nx.q_not, false) AS event, nx.edition AS next_edition
            FROM spell s
            JOIN q e ON e.code = s.code AND e.idx = s.f
            LEFT JOIN q nx ON nx.code = s.code AND nx.idx = s.g
            ORDER BY s.code
        """)
    known = frame["maybe_earlier"] == 0
    frame["cohort"] = frame["first_edition_held"].where(known).astype("Int64")
    frame["note"] = ""
    frame.loc[~known, "note"] = "first edition unknown: an earlier edition may qualify"
    frame.loc[known & ~frame["event"] & frame["next_edition"].notna(), "note"] = (
        "censored: the next edition's coverage does not tell"
    )
    frame.loc[known & frame["next_edition"].isna(), "note"] = "censored: end of the data"
    frame["duration"] = frame["duration"].astype("int64")
    frame = frame[
        ["code", "cohort", "first_edition_held", "duration", "event", "next_edition", "note"]
    ]
    frame["next_edition"] = frame["next_edition"].astype("Int64")
    frame.attrs["min_level"] = min_level
    return basis.finish(frame)


def _life_table(durations: np.ndarray, events: np.ndarray) -> pd.DataFrame:
    """Product-limit (Kaplan-Meier) life table of spells lasting `durations` editions, ended
    (`events` True) or censored, at every duration from 1 to the longest."""
    longest = int(durations.max())
    ended = np.bincount(durations, minlength=longest + 1)[1:]
    ev = np.bincount(durations, weights=events.astype(float), minlength=longest + 1)[1:]
    ev = ev.astype("int64")
    at_risk = ended[::-1].cumsum()[::-1]  # spells lasting at least t editions (never 0 here)
    survival = np.cumprod(1 - ev / at_risk)
    terms = np.divide(
        ev, at_risk * (at_risk - ev), out=np.zeros(len(ev)), where=(ev > 0) & (at_risk > ev)
    )
    return pd.DataFrame(
        {
            "duration": np.arange(1, longest + 1),
            "at_risk": at_risk,
            "events": ev,
            "censored": ended - ev,
            "survival": survival,
            "se": survival * np.sqrt(np.cumsum(terms)),
        }
    )


def retention(basis: Basis, min_level: int | None = None, pooled: bool = False) -> pd.DataFrame:
    """Kaplan-Meier survival of the first spell (see `retention_spells`) by cohort of first
    label year (or pooled), in editions: at each duration t, `at_risk` (spells lasting at least
    t editions), `events` (ending after exactly t), `censored`, `survival` = estimated share
    still labelled after t consecutive editions (product-limit, events before censorings at
    ties), `se` (Greenwood). Spells without a known first edition are left out and counted in
    `attrs["excluded"]`."""
    spells = retention_spells(basis, min_level)
    excluded = int(spells["cohort"].isna().sum())
    usable = spells[spells["cohort"].notna()]
    groups = [] if usable.empty else [("all", usable)] if pooled else list(usable.groupby("cohort"))
    tables = []
    for cohort, group in groups:
        table = _life_table(group["duration"].to_numpy(), group["event"].to_numpy())
        if not pooled:
            table.insert(0, "cohort", cohort)
        tables.append(table)
    columns = (["cohort"] if not pooled else []) + [
        "duration",
        "at_risk",
        "events",
        "censored",
        "survival",
        "se",
    ]
    frame = (pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=columns))[
        columns
    ]
    if not pooled:
        frame["cohort"] = frame["cohort"].astype("Int64")
    frame.attrs["excluded"] = excluded
    frame.attrs["spells"] = len(usable)
    frame.attrs["min_level"] = min_level
    return derived(frame, spells)
