"""The TEN distinction («Territoire d'excellence numérique», since 2021) and the two readings of
its rule (six 5 @ labels; six labelled editions), each 'yes', 'no' or 'unknown' from the bounds
the coverage and the claims give."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from pipeline.analysis.continuity.basis import Basis, coverage_of, derived
from pipeline.analysis.continuity.claims import contradicted, count_facts, narrow_by_count
from pipeline.analysis.continuity.states import levels_text
from pipeline.analysis.coverage import TEN_SQL

TEN_RULE_COUNT = 6


def ten_eligibility(
    basis: Basis, editions: Iterable[int] | None = None, through_current: bool = True
) -> pd.DataFrame:
    """Per edition (default: those with a published TEN count) and collectivity held: the two
    readings of the TEN rule, each 'yes' / 'no' / 'unknown' from bounds on the counts:
    `six_5` (six 5 @ labels, the association's wording) and `six_labelled` (labelled in at
    least six editions, the press's "labellisées depuis au moins 6 ans"), counting editions up
    to and including the edition (`through_current=False`: before it). A collectivity counts
    from the first edition it is known labelled in (held, or certain by the claims): one first
    seen in a later edition is no part of an earlier edition's question, and an edition's
    answer never changes when later editions come in. `ten` is True when we
    hold the collectivity on that edition's TEN list, False when the list is complete and does
    not name it, NULL otherwise."""
    targets = sorted(set(basis.ten_published) if editions is None else set(editions))
    targets = [e for e in targets if e in basis.editions]
    # counts through the edition (window up to the current row), or before it (minus it)
    minus = "" if through_current else " - ({})::INTEGER"
    cum = {
        name: f"sum(({flag})::INTEGER) OVER w" + minus.format(flag)
        for name, flag in (
            ("labels_5_min", "five_c"),
            ("labels_5_max", "five_p"),
            ("labelled_min", "lab_c"),
            ("labelled_max", "lab_p"),
            ("editions_5_unknown", "five_p AND NOT five_c"),
            ("editions_unknown", "ambiguous"),
            ("claim_cells", "claim_used"),
        )
    }
    cmp = "<=" if through_current else "<"
    frame = basis.df(
        f"""
        , counted AS (
            SELECT code, edition, ten,
                {", ".join(f"({expr}) AS {name}" for name, expr in cum.items())},
                bool_or(held OR lab_c) OVER w AS known
            FROM flags
            WINDOW w AS (PARTITION BY code ORDER BY idx
                         ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
        ), picked AS (
            SELECT c.*, n.name, n.entity FROM counted c
            JOIN (SELECT unnest(?::INTEGER[]) AS target) t ON t.target = c.edition
            LEFT JOIN names n USING (code)
            WHERE c.known
        ), listed AS (
            SELECT p.edition, p.code,
                string_agg(f.edition || CASE WHEN f.claim_used THEN '*' ELSE '' END,
                           ', ' ORDER BY f.idx) FILTER (f.five_c) AS editions_5,
                string_agg(f.edition || CASE WHEN f.claim_used THEN '*' ELSE '' END,
                           ', ' ORDER BY f.idx) FILTER (f.lab_c) AS editions_labelled,
                string_agg(f.edition::VARCHAR, ', ' ORDER BY f.idx)
                    FILTER (f.claim_used) AS editions_by_claims
            FROM picked p JOIN flags f ON f.code = p.code AND f.edition {cmp} p.edition
            WHERE p.ten OR p.claim_cells > 0
            GROUP BY p.edition, p.code
        )
        SELECT p.edition, p.code, p.name, p.entity, p.ten,
               p.labels_5_min, p.labels_5_max, p.labelled_min, p.labelled_max,
               l.editions_5, l.editions_labelled, l.editions_by_claims,
               p.editions_5_unknown, p.editions_unknown
        FROM picked p LEFT JOIN listed l USING (edition, code)
        ORDER BY p.edition, p.code
        """,
        [targets],
    )
    frame["uses_claims"] = frame["editions_by_claims"].notna()
    frame["count_claims"] = None
    frame = _narrow_by_counts(basis, frame, through_current)
    frame["six_5"] = _rule(frame["labels_5_min"], frame["labels_5_max"])
    frame["six_labelled"] = _rule(frame["labelled_min"], frame["labelled_max"])
    for column in (
        "labels_5_min",
        "labels_5_max",
        "labelled_min",
        "labelled_max",
        "editions_5_unknown",
        "editions_unknown",
    ):
        frame[column] = frame[column].astype("int64")
    frame.attrs["through_current"] = through_current
    return basis.finish(frame)


def _rule(low: pd.Series, high: pd.Series) -> pd.Series:
    return pd.Series(
        [
            "yes" if lo >= TEN_RULE_COUNT else "no" if hi < TEN_RULE_COUNT else "unknown"
            for lo, hi in zip(low, high, strict=True)
        ],
        index=low.index,
    )


def _narrow_by_counts(basis: Basis, frame: pd.DataFrame, through_current: bool) -> pd.DataFrame:
    """Bounds of `ten_eligibility` narrowed by `count_up_to` facts, over the editions each row
    counts (`claims.narrow_by_count`); a fact the data contradict is not used."""
    counts = basis.claim_counts
    if counts.empty or frame.empty:
        return frame
    bounded = ["labels_5_min", "labels_5_max", "labelled_min"]
    for fact, mine in count_facts(counts, basis.cells_of(list(counts["code"]))):
        if contradicted(fact, mine):
            continue
        for i in frame.index[frame["code"] == fact.code]:
            edition = frame.at[i, "edition"]
            window = mine["edition"] <= edition if through_current else mine["edition"] < edition
            before = tuple(frame.at[i, column] for column in bounded)
            now = narrow_by_count(fact, mine, window, before)
            if now != before:
                frame.loc[i, bounded] = list(now)
                frame.at[i, "uses_claims"] = True
                note = f"{fact.count} × {levels_text([fact.level])} up to {fact.up_to}"
                note += f" (claim row {fact.claim_row})" if fact.claim_row else ""
                frame.at[i, "count_claims"] = "; ".join(
                    filter(None, [frame.at[i, "count_claims"], note])
                )
    return frame


def ten_check(basis: Basis, edition: int = 2021, through_current: bool = True) -> pd.DataFrame:
    """Each laureate of an edition's TEN list we hold (resolved or set aside): what the data
    can confirm and what they cannot, under both readings of the rule."""
    eligibility = ten_eligibility(basis, [edition], through_current)
    laureates = eligibility[eligibility["ten"].fillna(False).astype(bool)].copy()
    rows = []
    for r in laureates.itertuples():
        can, cannot = [f"on the TEN {edition} list"], []
        window = f"up to {edition}" if through_current else f"before {edition}"
        five = f"{r.labels_5_min} label(s) at 5 @ {window}"
        five += f" (known: {r.editions_5})" if pd.notna(r.editions_5) else " (none known)"
        lab = f"labelled in {r.labelled_min} edition(s) {window}"
        lab += (
            f" (known: {r.editions_labelled})" if pd.notna(r.editions_labelled) else " (none known)"
        )
        for rule, status, held, low, high, open_editions in (
            (
                "six 5 @ labels",
                r.six_5,
                five,
                r.labels_5_min,
                r.labels_5_max,
                f"{r.editions_5_unknown} edition(s) {window} may be 5 @",
            ),
            (
                "six labelled editions",
                r.six_labelled,
                lab,
                r.labelled_min,
                r.labelled_max,
                f"{r.editions_unknown} edition(s) {window} may be labelled",
            ),
        ):
            if status == "yes":
                can.append(f"{rule}: met, {held}")
            elif status == "no":
                can.append(f"{rule}: NOT met, at most {high} possible, {held}")
            else:
                can.append(held)
                cannot.append(
                    f"{rule}: {low} known, {TEN_RULE_COUNT - low} more needed, "
                    f"at most {high} possible ({open_editions})"
                )
        if r.uses_claims:
            used = (
                [f"* = narrowed by a claim ({r.editions_by_claims})"]
                if pd.notna(r.editions_by_claims)
                else []
            )
            used += [r.count_claims] if r.count_claims else []
            can.append("with claims: " + "; ".join(used))
        rows.append(
            {
                "edition": edition,
                "code": r.code,
                "name": r.name,
                "entity": r.entity,
                "resolved": True,
                "labels_5_min": r.labels_5_min,
                "labels_5_max": r.labels_5_max,
                "labelled_min": r.labelled_min,
                "labelled_max": r.labelled_max,
                "six_5": r.six_5,
                "six_labelled": r.six_labelled,
                "uses_claims": bool(r.uses_claims),
                "can_confirm": "; ".join(can),
                "cannot_confirm": "; ".join(cannot),
            }
        )
    for q in basis.con.execute(
        f"""SELECT source_file, source_row, name, reason, candidates FROM quarantine
            WHERE edition = ? AND {TEN_SQL} ORDER BY source_row""",
        [edition],
    ).fetchall():
        same = basis.con.execute(
            "SELECT edition, arobases FROM quarantine WHERE name = ? AND edition <> ? "
            "ORDER BY edition",
            [q[2], edition],
        ).fetchall()
        hint = (
            (
                "; rows naming the same, also set aside: "
                + ", ".join(f"{e} {'?' if a is None else a}@" for e, a in same)
            )
            if same
            else ""
        )
        rows.append(
            {
                "edition": edition,
                "code": None,
                "name": q[2],
                "entity": None,
                "resolved": False,
                "labels_5_min": None,
                "labels_5_max": None,
                "labelled_min": None,
                "labelled_max": None,
                "six_5": "unknown",
                "six_labelled": "unknown",
                "uses_claims": False,
                "can_confirm": f"on the TEN {edition} list ({q[0]} row {q[1]})",
                "cannot_confirm": f"which collectivity: {q[3]} ({', '.join(q[4] or [])}){hint}",
            }
        )
    frame = pd.DataFrame(
        rows,
        columns=[
            "edition",
            "code",
            "name",
            "entity",
            "resolved",
            "labels_5_min",
            "labels_5_max",
            "labelled_min",
            "labelled_max",
            "six_5",
            "six_labelled",
            "uses_claims",
            "can_confirm",
            "cannot_confirm",
        ],
    )
    for column in ("labels_5_min", "labels_5_max", "labelled_min", "labelled_max"):
        frame[column] = frame[column].astype("Int64")
    cov = coverage_of(eligibility)
    ten_row = cov[(cov["edition"] == edition) & (cov["scope"] == "TEN")]
    frame.attrs["ten_list"] = ten_row.iloc[0].to_dict() if len(ten_row) else {}
    return derived(frame, eligibility)


def ten_summary(
    basis: Basis, editions: Iterable[int] | None = None, through_current: bool = True
) -> pd.DataFrame:
    """Per edition: TEN published and held, whether the list is complete, and how the two
    readings of the rule fare among the laureates we hold (yes / no / unknown) and among the
    collectivities we hold that are known not to be on the list but certainly eligible."""
    el = ten_eligibility(basis, editions, through_current)
    cov = coverage_of(el)
    ten_cov = cov[cov["scope"] == "TEN"].set_index("edition")
    rows = []
    for edition, group in el.groupby("edition"):
        on = group[group["ten"].fillna(False).astype(bool)]
        off = group[group["ten"].eq(False).fillna(False).astype(bool)]
        row = {
            "edition": edition,
            "ten_published": ten_cov["published"].get(edition),
            "ten_held": ten_cov["held"].get(edition),
            "ten_list_complete": bool(ten_cov["complete"].get(edition, False)),
        }
        for rule in ("six_5", "six_labelled"):
            for status in ("yes", "no", "unknown"):
                row[f"laureates_{rule}_{status}"] = int((on[rule] == status).sum())
            row[f"not_on_list_{rule}_yes"] = int((off[rule] == "yes").sum())
        rows.append(row)
    columns = ["edition", "ten_published", "ten_held", "ten_list_complete"] + [
        f"{who}_{rule}_{status}"
        for rule in ("six_5", "six_labelled")
        for who, status in (
            ("laureates", "yes"),
            ("laureates", "no"),
            ("laureates", "unknown"),
            ("not_on_list", "yes"),
        )
    ]
    frame = pd.DataFrame(rows, columns=columns)
    return derived(frame, el, "through_current")
