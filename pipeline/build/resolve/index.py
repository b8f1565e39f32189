"""Indexes of the reference (COG 2026): every name a current commune or EPCI is known by,
under the keys of `normalise`, built once so that resolving a row is a few dictionary looks.

Communes: current names (with and without article, short forms, per département, and blocks of
names sharing their first or last three letters for the national fuzzy stage), names of
delegated and associated communes, and every name of the 1943-2019 history leading to the
current commune holding it. EPCI: names, names without legal form or acronyms, and words.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import pandas as pd

from pipeline.build.resolve.normalise import epci_core, fold, name_keys, short_key
from pipeline.build.resolve.thresholds import FIRST_EDITION


@dataclass(frozen=True, slots=True)
class Entry:
    """One name of a collectivity: the current code it leads to, the name and its département."""

    code: str  # current commune code or EPCI SIREN
    name: str  # the name as in the reference (old name for old entries)
    dept: str  # département of that name (the old commune's for old entries)
    start: int | None = None  # years the name was in force (old names from the history)
    end: int | None = None
    full: str = ""  # name_keys(name)
    base: str = ""

    def valid_for(self, edition: int | None) -> bool:
        """Whether the name could be a laureate's at that edition (ceremony up to a year before)."""
        low = (edition - 1) if edition is not None else FIRST_EDITION - 1
        high = edition if edition is not None else 10_000
        return (self.start is None or self.start <= high) and (self.end is None or self.end >= low)


def _dept_of_code(code: str) -> str:
    """The département of a commune code (three characters overseas: 971...)."""
    return code[:3] if code[:2] in ("97", "98") else code[:2]


class CommuneIndex:
    """The current communes of the reference and every name leading to one of them."""

    def __init__(self, reference: dict[str, pd.DataFrame]):
        code_map = reference["commune_code_map"]
        self.code_map = dict(zip(code_map["old_code"], code_map["commune_code"]))
        communes = reference["commune"]
        current = communes[communes["commune_kind"] == "commune"]
        #: Current commune code → (name, département).
        self.current = {
            code: (name, dept)
            for code, name, dept in zip(
                current["commune_code"], current["name"], current["departement_code"]
            )
        }
        #: A commune's SIREN → its code.
        self.siren = {
            siren: code for siren, code in zip(current["siren"], current["commune_code"]) if siren
        }
        self._index_current()
        self._index_blocks()
        # Old names: delegated / associated communes and arrondissements of today's COG, and
        # every name of the 1943-2019 history, each leading to the current commune holding it.
        self.old_full: dict[str, list[Entry]] = defaultdict(list)
        self.old_base: dict[str, list[Entry]] = defaultdict(list)
        # Names that were, at some date, an independent commune's (COM versions of the history),
        # used to spot a current name that another commune bore at the time of an edition.
        self.old_com_full: dict[str, list[Entry]] = defaultdict(list)
        self._index_parts(communes[communes["commune_kind"] != "commune"])
        self._index_history(reference["commune_history"])

    def _index_current(self) -> None:
        """Exact names of current communes, with and without their article; short forms; the
        names of each département; the distinct names of France for the national scan."""
        self.by_full: dict[str, list[Entry]] = defaultdict(list)
        self.by_base: dict[str, list[Entry]] = defaultdict(list)
        self.by_short: dict[str, list[Entry]] = defaultdict(list)
        dept_lists: dict[str, tuple[list[str], list[Entry]]] = defaultdict(lambda: ([], []))
        base_to_entries: dict[str, list[Entry]] = defaultdict(list)
        for code, (name, dept) in self.current.items():
            full, base = name_keys(name)
            entry = Entry(code, name, dept, full=full, base=base)
            self.by_full[full].append(entry)
            self.by_base[base].append(entry)
            keys, entries = dept_lists[dept]
            keys.append(base)
            entries.append(entry)
            base_to_entries[base].append(entry)
            short = short_key(base)
            if short:
                self.by_short[short].append(entry)
        #: Département → (name keys, entries), aligned, for the fuzzy stage in a département.
        self.dept_keys = dict(dept_lists)
        self.national_keys = list(base_to_entries)
        self.national_entries = [base_to_entries[k] for k in self.national_keys]
        # A short form that is itself a commune's name is handled by the exact stages.
        for short in [s for s in self.by_short if s in self.by_base]:
            del self.by_short[short]

    def _index_blocks(self) -> None:
        """The national names by their first and by their last three letters: (keys, positions
        in `national_keys`), a few thousand names to score instead of 35,000."""
        head: dict[str, tuple[list[str], list[int]]] = defaultdict(lambda: ([], []))
        tail: dict[str, tuple[list[str], list[int]]] = defaultdict(lambda: ([], []))
        for i, key in enumerate(self.national_keys):
            for block in (head[key[:3]], tail[key[-3:]]):
                block[0].append(key)
                block[1].append(i)
        self.block_head, self.block_tail = dict(head), dict(tail)

    def _add_old(self, entry: Entry, independent: bool) -> None:
        self.old_full[entry.full].append(entry)
        self.old_base[entry.base].append(entry)
        if independent:
            self.old_com_full[entry.full].append(entry)

    def _index_parts(self, others: pd.DataFrame) -> None:
        """Delegated and associated communes and arrondissements, leading to their chef-lieu."""
        for code, name, dept, chef in zip(
            others["commune_code"],
            others["name"],
            others["departement_code"],
            others["chef_lieu_code"],
        ):
            target = self.code_map.get(chef or code, chef)
            if target in self.current:
                self._add_old(Entry(target, name, dept, None, None, *name_keys(name)), False)

    def _index_history(self, history: pd.DataFrame) -> None:
        """Every name of the history, leading to the current commune holding it."""
        holders = history_holders(history)
        keys_memo: dict[str, tuple[str, str]] = {}

        def keys_of(name: str) -> tuple[str, str]:
            if name not in keys_memo:
                keys_memo[name] = name_keys(name)
            return keys_memo[name]

        for vid, code, kind, name, start, end in zip(
            history["version_id"],
            history["commune_code"],
            history["version_kind"],
            history["name"],
            history["start_date"],
            history["end_date"],
        ):
            holder = holders.get(vid)
            target = self.code_map.get(holder) if holder else None
            if code in self.current and keys_of(self.current[code][0])[0] == keys_of(name)[0]:
                target = code  # the same commune, still or again (restored after a merger)
            if target not in self.current:
                continue
            self._add_old(
                Entry(
                    target,
                    name,
                    _dept_of_code(code),
                    None if pd.isna(start) else start.year,
                    None if pd.isna(end) else end.year,
                    *keys_of(name),
                ),
                independent=kind == "COM",
            )


class EpciIndex:
    """The current EPCI of the reference by name, name without legal form, acronym and words."""

    def __init__(self, reference: dict[str, pd.DataFrame], communes: CommuneIndex):
        epci = reference["epci"]
        dept_of = {code: dept for code, (_, dept) in communes.current.items()}
        depts: dict[str, set[str]] = defaultdict(set)
        for siren, code in zip(
            reference["epci_member"]["epci_siren"], reference["epci_member"]["commune_code"]
        ):
            if code in dept_of:
                depts[siren].add(dept_of[code])
        #: SIREN → (name, kind, départements of its member communes).
        self.epci: dict[str, tuple[str, str, frozenset[str]]] = {}
        self.by_full: dict[str, list[str]] = defaultdict(list)
        self.by_core: dict[str, list[str]] = defaultdict(list)
        for siren, name, kind in zip(epci["epci_siren"], epci["name"], epci["epci_kind"]):
            self.epci[siren] = (name, kind, frozenset(depts[siren]))
            self.by_full[fold(name)].append(siren)
            core, _, acronym = epci_core(name)
            if core:
                self.by_core[core].append(siren)
            if acronym:
                self.by_core[acronym].append(siren)
        self.core_keys = list(self.by_core)
        self.tokens = {
            siren: frozenset(epci_core(name)[0].split(" "))
            for siren, (name, _, _) in self.epci.items()
        }

    def entry(self, siren: str) -> Entry:
        """The EPCI as a candidate, with all the départements of its members."""
        name, _, depts = self.epci[siren]
        return Entry(siren, name, "/".join(sorted(depts)))

    def dept(self, siren: str) -> str | None:
        """The EPCI's département when all its member communes lie in one."""
        depts = self.epci[siren][2]
        return next(iter(depts)) if len(depts) == 1 else None


def history_holders(history: pd.DataFrame) -> dict[str, str]:
    """For each history version, the code of the commune holding it at the end of 2019.

    A version is followed to its successor; a version still valid at the end is held by itself
    when it is a commune (COM), else by its pole (the commune it is part of). A version that
    ends without a successor (split back, suppressed) leads nowhere. Versions with several
    holders cannot be given one current commune and are left out. Follows the codes of the
    versions, never reused codes (75018 was Charenton-le-Pont before 1968).
    """
    succ = dict(zip(history["version_id"], history["successor_id"]))
    pole = dict(zip(history["version_id"], history["pole_id"]))
    kind = dict(zip(history["version_id"], history["version_kind"]))
    code = dict(zip(history["version_id"], history["commune_code"]))
    ended = dict(zip(history["version_id"], history["end_date"].notna()))
    memo: dict[str, str | None] = {}

    def holder(vid: str, depth: int = 0) -> str | None:
        if vid in memo:
            return memo[vid]
        if depth > 200:
            return None
        if succ.get(vid):
            result = holder(succ[vid], depth + 1)
        elif ended.get(vid):
            result = None
        elif kind.get(vid) == "COM":
            result = code[vid]
        elif pole.get(vid):
            result = holder(pole[vid], depth + 1)
        else:
            result = None
        memo[vid] = result
        return result

    return {vid: h for vid in succ if (h := holder(vid)) is not None}
