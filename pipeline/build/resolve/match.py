"""The matching stages: what the indexes say of one folded name, as an `Outcome` (nothing, one
collectivity, several, or a refusal with its reason) for the resolver to decide on.

Communes: exact name, name with or without article, old names in force at the edition, typos
(rapidfuzz, inside the département, or nationally when unique and far ahead), short forms.
EPCI: exact name, name without legal form or acronym, partial name from 2017, typos.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
from rapidfuzz import fuzz, process

from pipeline.build.resolve.index import CommuneIndex, Entry, EpciIndex
from pipeline.build.resolve.normalise import epci_core
from pipeline.build.resolve.thresholds import (
    DEPT_SCORERS,
    EPCI_FUZZY_MARGIN,
    EPCI_FUZZY_MIN_SCORE,
    EPCI_MAP_YEAR,
    FUZZY_MIN_MARGIN,
    FUZZY_MIN_SCORE,
    FUZZY_NO_DEPT_MARGIN,
    FUZZY_NO_DEPT_MIN_LENGTH,
    FUZZY_NO_DEPT_MIN_SCORE,
    MAX_CANDIDATES,
)

Ranked = list[tuple[float, list[Entry]]]  # (score, the entries of a name)
Depts = frozenset[str] | None  # the départements given, None = not given


@dataclass
class Outcome:
    """What one matching stage found: nothing, one collectivity, or several."""

    entries: list[Entry] = field(default_factory=list)
    method: str | None = None
    score: float = 100.0
    rank: int = 0  # 0 exact-like stages, 1 fuzzy
    reason: str | None = None  # set when the stage refuses to decide (ambiguous, below threshold)
    others: list[Entry] = field(default_factory=list)  # runners-up, for the audit trail
    pending: bool = False  # the national scan of the name is not yet done (see NationalScans)

    @property
    def found(self) -> bool:
        """One or several collectivities match (a match refused for its low score is not one)."""
        return bool(self.entries) and (self.reason is None or self.reason.startswith("ambiguous"))

    @property
    def codes(self) -> list[str]:
        return list(dict.fromkeys(e.code for e in self.entries))


def fuzzy_decision(ranked: Ranked, threshold: float, margin: float, national: bool) -> Outcome:
    """Accept the best fuzzy candidate if it reaches the threshold and leads the runner-up
    (another collectivity) by the margin; else say why not."""
    by_code: dict[str, tuple[float, Entry]] = {}
    for score, entries in ranked:
        for e in entries:
            if e.code not in by_code or by_code[e.code][0] < score:
                by_code[e.code] = (score, e)
    order = sorted(by_code.values(), key=lambda t: -t[0])
    if not order:
        return Outcome()
    best_score, best = order[0]
    scope = "in France (no département)" if national else "in the département"
    entries = [e for _, e in order]
    if best_score < threshold:
        return Outcome(
            entries,
            "fuzzy",
            best_score,
            1,
            reason=f"fuzzy score below threshold: best {best_score:.0f} < {threshold:.0f} {scope}",
        )
    if len(order) > 1 and best_score - order[1][0] < margin:
        return Outcome(
            entries,
            "fuzzy",
            best_score,
            1,
            reason=(
                f"ambiguous: fuzzy scores {best_score:.0f} and {order[1][0]:.0f} {scope} "
                f"differ by less than {margin:.0f}"
            ),
        )
    return Outcome([best], "fuzzy", best_score, 1, others=entries[1:])


def _extract(query: str, keys: list[str], scorer, cutoff: float) -> list[tuple[str, float, int]]:
    """The best MAX_CANDIDATES keys scoring at least `cutoff`: (key, score, position)."""
    return process.extract(
        query, keys, scorer=scorer, processor=None, limit=MAX_CANDIDATES, score_cutoff=cutoff
    )


class NationalScans:
    """The names of France scoring at least FUZZY_NO_DEPT_MIN_SCORE - margin against a name,
    memoised.

    A scan compares a name with every current commune name. Done in batches, rapidfuzz's cdist
    compares many names at once with SIMD, about 7 times faster than one extract per name: so
    while `deferring`, a name not yet scanned is put aside (`get` returns None) for
    `scan_pending`, and the resolver resolves its row in a second pass.
    """

    def __init__(self, keys: list[str], entries: list[list[Entry]]):
        self._keys, self._entries = keys, entries
        self._hits: dict[str, Ranked] = {}
        self._deferring = False
        self._pending: set[str] = set()

    @contextmanager
    def deferring(self) -> Iterator[None]:
        self._deferring = True
        try:
            yield
        finally:
            self._deferring = False

    def get(self, base: str) -> Ranked | None:
        """The scan of a name: done now, or None while deferring (then put aside)."""
        hits = self._hits.get(base)
        if hits is None:
            if self._deferring:
                self._pending.add(base)
                return None
            self._scan([base])
            hits = self._hits[base]
        return hits

    def scan_pending(self) -> None:
        """The names put aside while deferring, scanned in one batch."""
        self._scan(sorted(self._pending))
        self._pending = set()

    def _scan(self, bases: list[str], chunk: int = 256) -> None:
        cutoff = FUZZY_NO_DEPT_MIN_SCORE - FUZZY_NO_DEPT_MARGIN
        for start in range(0, len(bases), chunk):
            part = bases[start : start + chunk]
            matrix = process.cdist(
                part,
                self._keys,
                scorer=fuzz.ratio,
                processor=None,
                score_cutoff=cutoff,
                dtype=np.float32,
                workers=1,
            )
            for base, row in zip(part, matrix):
                idx = np.flatnonzero(row >= cutoff)
                idx = idx[np.argsort(-row[idx], kind="stable")][: 2 * MAX_CANDIDATES]
                self._hits[base] = [(float(row[i]), self._entries[i]) for i in idx]


class CommuneMatcher:
    """The commune stages, in order: exact or article, old names, typos, short forms."""

    def __init__(self, index: CommuneIndex):
        self.index = index
        self.scans = NationalScans(index.national_keys, index.national_entries)

    def match(self, full: str, base: str, depts: Depts, edition: int | None) -> Outcome:
        """The first stage that finds something (`pending` if a national scan must come first)."""
        outcome = self._current_name(full, base, depts, edition)
        if outcome is None:
            outcome = self._old_name(full, base, depts, edition)
        if outcome is not None:
            return outcome
        # Typos; failing that, a longer commune name beginning with the published one
        # ("Vandoeuvre" → Vandœuvre-lès-Nancy), unique in the département or in France.
        fuzzy = self._fuzzy(base, depts)
        if fuzzy.pending or (fuzzy.entries and fuzzy.reason is None):
            return fuzzy
        found = self._in_depts(self.index.by_short.get(base, ()), depts)
        if found:
            score = max(fuzz.WRatio(base, e.base, processor=None) for e in found)
            return Outcome(found, "short_name", float(score))
        return fuzzy

    def _in_depts(self, entries: Iterable[Entry], depts: Depts, old: bool = False) -> list[Entry]:
        """The entries in the départements given (an old name also by its current commune's)."""
        if depts is None:
            return list(entries)
        current = self.index.current
        return [e for e in entries if e.dept in depts or (old and current[e.code][1] in depts)]

    def _current_name(self, full, base, depts, edition) -> Outcome | None:
        # The exact name; a published name without article also stands for the name with one
        # ("Saulchoy" is Saulchoy (62) or Le Saulchoy (60)), but an article given is kept.
        found = self._in_depts(self.index.by_full.get(full, ()), depts) if full != base else []
        if not found:
            found = self._in_depts(self.index.by_base.get(base, ()), depts)
        if not found:
            return None
        method = "exact" if all(e.full == full for e in found) else "article"
        outcome = Outcome(found, method)
        # Another commune bearing that name at the time of the edition, since merged, in
        # another département? (The same name in the same département is the same commune,
        # re-established or renumbered: Celles, 15, merged in 2016 and restored in 2025.)
        current_depts = {e.dept for e in found}
        outcome.entries += [
            e
            for e in self._in_depts(self.index.old_com_full.get(full, ()), depts, old=True)
            if e.code not in outcome.codes and e.dept not in current_depts and e.valid_for(edition)
        ]
        return outcome

    def _old_name(self, full, base, depts, edition) -> Outcome | None:
        """Names of merged, delegated, associated or renamed communes."""
        index = self.index
        old = (index.old_full.get(full, []) if full != base else []) or index.old_base.get(base, [])
        found = [e for e in self._in_depts(old, depts, old=True) if e.valid_for(edition)]
        return Outcome(found, "old_name") if found else None

    def _fuzzy(self, base: str, depts: Depts) -> Outcome:
        if depts is not None:
            return self._fuzzy_in_depts(base, depts)
        if len(base) < FUZZY_NO_DEPT_MIN_LENGTH:
            return Outcome()  # too short to be told from its neighbours without a département
        return self._fuzzy_national(base)

    def _fuzzy_in_depts(self, base: str, depts: frozenset[str]) -> Outcome:
        keys, entries = [], []
        for d in sorted(depts):
            k, e = self.index.dept_keys.get(d, ([], []))
            keys += k
            entries += e
        ranked = []
        for scorer, weight in DEPT_SCORERS:
            hits = _extract(base, keys, scorer, (FUZZY_MIN_SCORE - 25) / weight)
            ranked += [(score * weight, [entries[i]]) for _, score, i in hits]
        return fuzzy_decision(ranked, FUZZY_MIN_SCORE, FUZZY_MIN_MARGIN, national=False)

    def _fuzzy_national(self, base: str) -> Outcome:
        # The best candidate among the names sharing their first or last three letters with
        # the published one (a one-letter typo in a name of 7 letters or more keeps one of the
        # two intact): a few thousand names instead of 35,000.
        ranked = []
        cutoff = FUZZY_NO_DEPT_MIN_SCORE - FUZZY_NO_DEPT_MARGIN
        for block in (self.index.block_head.get(base[:3]), self.index.block_tail.get(base[-3:])):
            if block is None:
                continue
            keys, ids = block
            hits = _extract(base, keys, fuzz.ratio, cutoff)
            ranked += [(score, self.index.national_entries[ids[i]]) for _, score, i in hits]
        outcome = fuzzy_decision(
            ranked, FUZZY_NO_DEPT_MIN_SCORE, FUZZY_NO_DEPT_MARGIN, national=True
        )
        if outcome.entries and outcome.reason is None:
            # Before accepting, the runner-up is looked for in the whole of France.
            scan = self.scans.get(base)
            if scan is None:
                return Outcome(pending=True)
            outcome = fuzzy_decision(
                ranked + scan, FUZZY_NO_DEPT_MIN_SCORE, FUZZY_NO_DEPT_MARGIN, national=True
            )
        return outcome


class EpciMatcher:
    """The EPCI stages, in order: exact name, alias (without legal form, or acronym), partial
    name (from 2017), typos."""

    def __init__(self, index: EpciIndex):
        self.index = index

    def match(self, name, full, depts: Depts, edition: int | None, loose: bool) -> Outcome:
        """Only the exact name unless `loose` (the name looks like an EPCI's)."""
        found = self._in_depts(self.index.by_full.get(full, ()), depts)
        if found:
            return Outcome(found, "exact")
        if not loose:
            return Outcome()
        core, kind, acronym = epci_core(name)
        found = self._in_depts(self.index.by_core.get(core, ()), depts)
        if not found and acronym:
            found = self._in_depts(self.index.by_core.get(acronym, ()), depts)
        if found:
            if len(found) > 1 and kind:  # the legal form decides between homonyms
                same_kind = [e for e in found if self.index.epci[e.code][1] == kind]
                found = same_kind or found
            return Outcome(found, "epci_alias")
        if not core:
            return Outcome()
        if depts is not None and kind and (edition is None or edition >= EPCI_MAP_YEAR):
            partial = self._partial(core, kind, depts)
            if partial is not None:
                return partial
        return self._fuzzy(name, core, depts)

    def _in_depts(self, sirens: Iterable[str], depts: Depts) -> list[Entry]:
        epci = self.index.epci
        found = [s for s in dict.fromkeys(sirens) if depts is None or depts & epci[s][2]]
        return [self.index.entry(s) for s in found]

    def _partial(self, core: str, kind: str, depts: frozenset[str]) -> Outcome | None:
        """The one current EPCI of that legal form in the département holding every word."""
        words = set(core.split(" "))
        found = self._in_depts(
            (
                s
                for s, tokens in self.index.tokens.items()
                if self.index.epci[s][1] == kind and words <= tokens
            ),
            depts,
        )
        if len(found) != 1:
            return None
        score = fuzz.WRatio(core, epci_core(found[0].name)[0], processor=None)
        return Outcome(found, "epci_partial", float(score))

    def _fuzzy(self, name: str, core: str, depts: Depts) -> Outcome:
        index = self.index
        keys = index.core_keys
        if depts is not None:
            keys = [k for k in keys if any(depts & index.epci[s][2] for s in index.by_core[k])]
        hits = _extract(core, keys, fuzz.ratio, 40)
        ranked = [(score, self._in_depts(index.by_core[k], depts)) for k, score, _ in hits]
        ranked = [(s, e) for s, e in ranked if e]
        outcome = fuzzy_decision(ranked, EPCI_FUZZY_MIN_SCORE, EPCI_FUZZY_MARGIN, depts is None)
        if outcome.reason and outcome.reason.startswith("fuzzy score below"):
            outcome.reason = (
                f"unknown: no current EPCI named {name!r} (merged or renamed since? a human "
                f"decides in overrides.csv); closest {outcome.reason.split(': ', 1)[1]}"
            )
        return outcome
