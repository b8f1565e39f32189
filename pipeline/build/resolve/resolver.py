"""The Resolver: one published row (name, département, kind, edition, code) → a `Resolution`,
resolved or quarantined with its reason, by the order of decision of the package docstring.

A batch (`resolve_rows`) is resolved in two passes: the first resolves every row the indexes
answer and puts aside the rows whose typo needs a national scan; the scans then run in one
batch, and the second pass resolves the rows put aside.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd
from rapidfuzz import fuzz

from pipeline.build.resolve.index import CommuneIndex, Entry, EpciIndex
from pipeline.build.resolve.match import CommuneMatcher, EpciMatcher, Outcome
from pipeline.build.resolve.normalise import (
    NOT_COLLECTIVITY_PREFIXES,
    PARENTHESIS,
    TRAILING_ARTICLE,
    DeptNormalizer,
    Foreign,
    has_epci_marker,
    name_keys,
)
from pipeline.build.resolve.overrides import OverrideRule, OverrideRules
from pipeline.build.resolve.thresholds import FUZZY_MIN_SCORE, MAX_CANDIDATES

RESULT_COLUMNS = (
    "status",
    "code",
    "entity",
    "departement_code",
    "method",
    "score",
    "candidates",
    "reason",
)


@dataclass(frozen=True)
class Resolution:
    """The decision for one published collectivity."""

    status: str  # "resolved" | "quarantined"
    code: str | None = None
    entity: str | None = None  # "commune" | "epci"
    departement_code: str | None = None
    method: str | None = None
    score: float | None = None
    candidates: tuple[str, ...] = ()
    reason: str | None = None

    def as_row(self) -> tuple:
        return (
            self.status,
            self.code,
            self.entity,
            self.departement_code,
            self.method,
            self.score,
            list(self.candidates),
            self.reason,
        )


def quarantine(reason: str, dept: str | None = None, candidates=(), method=None, score=None):
    """A row left for a person, with why and what was considered."""
    return Resolution(
        "quarantined",
        departement_code=dept,
        method=method,
        score=score,
        candidates=tuple(candidates)[:MAX_CANDIDATES],
        reason=reason,
    )


def _blank(value) -> bool:
    if value is None:
        return True
    try:
        if pd.isna(value):
            return True
    except (TypeError, ValueError):
        return False
    return isinstance(value, str) and not value.strip()


def _key(name, departement, kind, edition, code) -> tuple:
    """A row's fields cleaned (blank = None): the key of the memo."""
    return (
        None if _blank(name) else str(name).strip(),
        None if _blank(departement) else str(departement).strip(),
        None if _blank(kind) else str(kind).strip().lower(),
        None if _blank(edition) else int(edition),
        None if _blank(code) else str(code).strip(),
    )


def _single(depts: frozenset[str] | None) -> str | None:
    """The département reported on a result: the one given, if one only."""
    return next(iter(depts)) if depts and len(depts) == 1 else None


@dataclass(slots=True)
class _Query:
    """A named row as the matching stages read it."""

    name: str  # as published
    full: str  # name_keys of the name (without a département in parentheses)
    base: str
    stripped: str | None  # the name before a parenthesis that is no département
    depts: frozenset[str] | None
    dept_out: str | None
    edition: int | None
    marker: bool  # the name has a word of EPCI names


class Resolver:
    """Resolves published collectivities against the reference; indexes are built once."""

    def __init__(self, reference: dict[str, pd.DataFrame], overrides: pd.DataFrame | None = None):
        self._depts = DeptNormalizer(reference["departement"])
        self._communes = CommuneIndex(reference)
        self._epci = EpciIndex(reference, self._communes)
        self._commune_matcher = CommuneMatcher(self._communes)
        self._epci_matcher = EpciMatcher(self._epci)
        self._overrides = OverrideRules(overrides, reference, self._depts)
        self._cache: dict[tuple, Resolution] = {}

    # -- public API --

    def resolve(
        self,
        name,
        departement=None,
        kind=None,
        edition=None,
        code=None,
    ) -> Resolution:
        """The decision for one published collectivity (memoised)."""
        return self._lookup(_key(name, departement, kind, edition, code))

    def resolve_rows(self, rows: pd.DataFrame) -> pd.DataFrame:
        """Resolve canonical rows; the result is aligned with `rows.index`.

        `rows` has at least `name`; `edition`, `departement`, `kind` and `code` are optional
        columns (missing = unknown). Returns the columns of RESULT_COLUMNS.
        """
        n = len(rows)

        def column(name):
            return rows[name].tolist() if name in rows.columns else [None] * n

        keys = [
            _key(*args)
            for args in zip(
                column("name"),
                column("departement"),
                column("kind"),
                column("edition"),
                column("code"),
            )
        ]
        # First pass: what the indexes answer; a row needing a national scan waits (None).
        scans = self._commune_matcher.scans
        with scans.deferring():
            results = [self._lookup(key) for key in keys]
        # Second pass: those scans in one batch, then the rows that waited.
        waiting = [i for i, result in enumerate(results) if result is None]
        if waiting:
            scans.scan_pending()
            for i in waiting:
                results[i] = self._lookup(keys[i])
        out = pd.DataFrame.from_records(
            [r.as_row() for r in results], columns=list(RESULT_COLUMNS), index=rows.index
        )
        out["score"] = out["score"].astype("float64")
        return out

    # -- the decision --

    def _lookup(self, key: tuple) -> Resolution | None:
        """The memoised decision for a cleaned row; None while its national scan is deferred."""
        found = self._cache.get(key)
        if found is None:
            found = self._resolve(*key)
            if found is not None:
                self._cache[key] = found
        return found

    def _resolve(self, name, departement, kind, edition, code) -> Resolution | None:
        """The decision for one cleaned row, step by step as in the package docstring; None
        while a national scan it needs is deferred."""
        depts = self._read_departement(departement)
        if isinstance(depts, Resolution):
            return depts
        dept_out = _single(depts)
        # 1. Human decisions.
        if name is not None and self._overrides:
            rule = self._overrides.find(name, depts, edition)
            if rule is not None:
                return self._apply_override(rule)
        # 2. A code given by the file.
        if code is not None:
            return self._resolve_code(code, name, depts, dept_out)
        if name is None:
            return quarantine("unknown: no name and no code", dept_out)
        # 3. Foreign places, non-collectivities, a département in parentheses.
        query = self._read_name(name, departement, depts, edition)
        if isinstance(query, Resolution):
            return query
        # 4-5. Communes and EPCI, by kind.
        if kind == "territoire":
            return self._as_epci(query)
        if kind in ("ville", "village"):
            commune = self._match_commune(query)
            return None if commune.pending else self._decide(commune, query, "commune")
        return self._as_either(query)

    def _read_departement(self, departement) -> frozenset[str] | Resolution | None:
        """The département as published, as COG codes (a quarantine if abroad or unknown)."""
        if departement is None:
            return None
        norm = self._depts.normalize(departement)
        if isinstance(norm, Foreign):
            return quarantine(f"foreign: département given as {departement!r}")
        if norm is None:
            return quarantine(f"invalid département: {departement!r} is not a French département")
        return norm

    def _read_name(self, name, departement, depts, edition) -> _Query | Resolution:
        """The name's keys, with what a parenthesis says (a place abroad, a département, or
        part of the name), unless the name is no collectivity's."""
        dept_out = _single(depts)
        match_name, stripped = name, None
        paren = PARENTHESIS.match(name)
        if paren and paren["name"] and not TRAILING_ARTICLE.match(name):
            inner = paren["inner"].strip()
            inner_dept = self._depts.normalize(inner) if inner else None
            if isinstance(inner_dept, Foreign):
                return quarantine(f"foreign: {name!r} is in {inner}", dept_out)
            if inner_dept is None:
                # Part of the name ("Château-Chinon (Campagne)") or a remark: the whole name
                # first, then the name before the parenthesis.
                stripped = paren["name"]
            elif depts is not None and not (depts & inner_dept):
                return quarantine(
                    f"conflict: département {departement!r} given, {inner!r} in the name",
                    dept_out,
                )
            else:
                depts = depts or inner_dept
                dept_out = _single(depts)
                match_name = paren["name"]
        full, base = name_keys(match_name)
        if not full:
            return quarantine(f"unknown: {name!r} has no letters", dept_out)
        if any((full + " ").startswith(p) for p in NOT_COLLECTIVITY_PREFIXES):
            return quarantine(f"not a collectivity: {name!r}", dept_out)
        return _Query(name, full, base, stripped, depts, dept_out, edition, has_epci_marker(full))

    def _match_commune(self, q: _Query) -> Outcome:
        """The commune stages on the name, then on the name before its parenthesis."""
        outcome = self._commune_matcher.match(q.full, q.base, q.depts, q.edition)
        if q.stripped and not outcome.found and not outcome.pending:
            alternative = self._commune_matcher.match(*name_keys(q.stripped), q.depts, q.edition)
            if alternative.found or alternative.pending:
                return alternative
        return outcome

    def _match_epci(self, q: _Query, loose: bool) -> Outcome:
        return self._epci_matcher.match(q.name, q.full, q.depts, q.edition, loose)

    def _as_epci(self, q: _Query) -> Resolution | None:
        """Kind territoire: an EPCI; a commune only for a name without an EPCI word."""
        outcome = self._match_epci(q, loose=True)
        if not outcome.entries and outcome.reason is None and not q.marker:
            commune = self._match_commune(q)
            if commune.pending:
                return None
            if commune.entries or commune.reason:
                return self._decide(commune, q, "commune")
        return self._decide(outcome, q, "epci")

    def _as_either(self, q: _Query) -> Resolution | None:
        """Unknown kind: both; a name matching a commune and an EPCI at the same stage is
        ambiguous, else the earlier stage wins."""
        commune = self._match_commune(q)
        if commune.pending:
            return None
        epci = self._match_epci(q, loose=q.marker)
        if commune.found and epci.found:
            if commune.rank == epci.rank:
                cands = self._format(commune.entries, "commune") + self._format(
                    epci.entries, "epci"
                )
                return quarantine(
                    f"ambiguous: {q.name!r} matches a commune and an EPCI", q.dept_out, cands
                )
            if commune.rank < epci.rank:
                return self._decide(commune, q, "commune")
            return self._decide(epci, q, "epci")
        if epci.found or (q.marker and not commune.found):
            return self._decide(epci, q, "epci")
        return self._decide(commune, q, "commune")

    def _apply_override(self, rule: OverrideRule) -> Resolution:
        note = f"override ({rule.decided_by or 'unsigned'}): {rule.reason}"
        dept = _single(rule.depts)
        if rule.decision == "foreign":
            return quarantine(f"foreign: {rule.reason}", dept, method="override")
        if rule.decision == "not_a_collectivity":
            return quarantine(f"not a collectivity: {rule.reason}", dept, method="override")
        code = rule.code
        if code in self._epci.epci:
            return Resolution(
                "resolved",
                code,
                "epci",
                dept or self._epci.dept(code),
                "override",
                100.0,
                tuple(self._format_epci([code])),
                note,
            )
        name, cdept = self._communes.current[code]
        return Resolution(
            "resolved",
            code,
            "commune",
            cdept,
            "override",
            100.0,
            tuple(self._format([Entry(code, name, cdept)], "commune")),
            note,
        )

    # -- a code given by the file --

    def _resolve_code(self, code, name, depts, dept_out) -> Resolution:
        """A code given by the file (INSEE code, old code, SIREN), checked against the
        département and the name given."""
        raw = code
        if re.fullmatch(r"\d{4}", code):
            code = "0" + code  # a leading zero lost by a spreadsheet (Ain to Ardèche: 01-09)
        code = code.upper()
        entity = target = None
        if re.fullmatch(r"\d{5}|2[AB]\d{3}", code):
            target, entity = self._communes.code_map.get(code), "commune"
        elif re.fullmatch(r"\d{9}", code):
            if code in self._epci.epci:
                target, entity = code, "epci"
            elif code in self._communes.siren:
                target, entity = self._communes.siren[code], "commune"
        else:
            return quarantine(
                f"invalid code: {raw!r} is neither an INSEE code nor a SIREN", dept_out
            )
        if target is None:
            return quarantine(f"invalid code: {raw!r} is in no reference table", dept_out)
        if entity == "epci":
            return self._epci_code(raw, target, depts, dept_out)
        return self._commune_code(raw, target, name, depts, dept_out)

    def _epci_code(self, raw, siren, depts, dept_out) -> Resolution:
        name, _, e_depts = self._epci.epci[siren]
        cands = self._format_epci([siren])
        if depts is not None and not (depts & e_depts):
            return quarantine(
                f"conflict: code {raw} is {name}, not in département {sorted(depts)}",
                dept_out,
                cands,
            )
        return Resolution(
            "resolved",
            siren,
            "epci",
            dept_out or self._epci.dept(siren),
            "code",
            100.0,
            tuple(cands),
        )

    def _commune_code(self, raw, target, name, depts, dept_out) -> Resolution:
        cname, cdept = self._communes.current[target]
        cands = self._format([Entry(target, cname, cdept)], "commune")
        if depts is not None and cdept not in depts:
            return quarantine(
                f"conflict: code {raw} is {cname} ({cdept}), not in the département given",
                dept_out,
                cands,
            )
        if name is not None and not self._name_fits(name, target):
            return quarantine(
                f"conflict: code {raw} is {cname}, the name says {name!r}", dept_out, cands
            )
        return Resolution("resolved", target, "commune", cdept, "code", 100.0, tuple(cands))

    def _name_fits(self, name: str, target: str) -> bool:
        """Whether a published name is plausibly a name of that commune (current or old)."""
        full, base = name_keys(name)
        communes = self._communes
        names = [communes.current[target][0]] + [
            e.name
            for e in communes.old_full.get(full, []) + communes.old_base.get(base, [])
            if e.code == target
        ]
        return any(
            fuzz.WRatio(base, name_keys(n)[1], processor=None) >= FUZZY_MIN_SCORE for n in names
        )

    # -- decision and audit trail --

    def _decide(self, outcome: Outcome, q: _Query, entity: str) -> Resolution:
        cands = self._format(outcome.entries + outcome.others, entity)
        name, dept_out = q.name, q.dept_out
        if outcome.reason:
            return quarantine(outcome.reason, dept_out, cands, outcome.method, outcome.score)
        codes = outcome.codes
        what, many = ("EPCI", "EPCI") if entity == "epci" else ("commune", "communes")
        if not codes:
            where = f" in département {dept_out}" if dept_out else ""
            return quarantine(f"unknown: no {what} named {name!r}{where}", dept_out, cands)
        if len(codes) > 1:
            where = "" if dept_out else " and no département is given"
            return quarantine(
                f"ambiguous: {name!r} matches {len(codes)} {many}{where}",
                dept_out,
                cands,
                outcome.method,
                outcome.score,
            )
        code = codes[0]
        if entity == "epci":
            dept = dept_out or self._epci.dept(code)
        else:
            dept = self._communes.current[code][1]
        return Resolution(
            "resolved",
            code,
            entity,
            dept,
            outcome.method,
            round(float(outcome.score), 1),
            tuple(cands),
        )

    def _format(self, entries: list[Entry], entity: str) -> list[str]:
        """The candidates for the audit trail: "code name (département)", with the old name
        and its years when the match was on an old name."""
        if entity == "epci":
            return self._format_epci([e.code for e in entries])
        out = []
        for e in entries:
            cname, cdept = self._communes.current[e.code]
            text = f"{e.code} {cname} ({cdept})"
            if e.name != cname:
                text = f"{e.code} {cname} ({cdept}) ← {e.name}" + (
                    f" [{e.start or ''}-{e.end or ''}]" if (e.start or e.end) else ""
                )
            if text not in out:
                out.append(text)
        return out[:MAX_CANDIDATES]

    def _format_epci(self, sirens) -> list[str]:
        out = []
        for s in dict.fromkeys(sirens):
            name, _, depts = self._epci.epci[s]
            out.append(f"{s} {name} ({'/'.join(sorted(depts))})")
        return out[:MAX_CANDIDATES]
