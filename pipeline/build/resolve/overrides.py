"""The human decision file, data/raw/palmares/overrides.csv: read, checked against the
reference, and matched to a published row before any automatic matching.

A person settles there what the resolver quarantines (a code, or the row is foreign, or not a
collectivity), with the reason and who decided; a decision applies to a name for one edition
and one département, or to any when they are left blank (the most specific wins).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipeline.build.resolve.normalise import DeptNormalizer, Foreign, name_keys
from pipeline.errors import InputError

OVERRIDE_COLUMNS = ("edition", "name", "departement", "code", "decision", "reason", "decided_by")
OVERRIDE_DECISIONS = ("code", "foreign", "not_a_collectivity")


def read_overrides(path: Path | str) -> pd.DataFrame:
    """The human decision file, checked for its format (not yet against the reference).

    UTF-8 (a BOM is accepted), comma-separated, header `OVERRIDE_COLUMNS`. Blank edition or
    département = any. Raises InputError naming the file and the row (1-based, header excluded).
    """
    path = Path(path)
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(path, "missing") from None
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(path, f"cannot be read as UTF-8 CSV: {exc}") from None
    header = [c.strip() for c in raw.columns]
    if header != list(OVERRIDE_COLUMNS):
        raise InputError(path, f"header {header} is not {list(OVERRIDE_COLUMNS)}")
    raw.columns = header
    raw = raw.apply(lambda col: col.str.strip())
    editions = [_check_row(path, row, r) for row, (_, r) in enumerate(raw.iterrows(), start=1)]
    out = raw.replace({"": None})
    out["edition"] = pd.array(editions, dtype="Int64")
    out.attrs["path"] = str(path)
    return out


def _check_row(path: Path, row: int, r: pd.Series) -> int | None:
    """The row's edition (None = any), once its fields are checked (InputError otherwise)."""
    if not r["name"]:
        raise InputError(path, "name is empty", row)
    if r["decision"] not in OVERRIDE_DECISIONS:
        raise InputError(
            path,
            f"decision {r['decision']!r} is not one of {', '.join(OVERRIDE_DECISIONS)}",
            row,
        )
    if (r["decision"] == "code") != bool(r["code"]):
        problem = (
            "decision 'code' needs a code"
            if r["decision"] == "code"
            else f"decision {r['decision']!r} must leave code blank"
        )
        raise InputError(path, problem, row)
    if not r["reason"]:
        raise InputError(path, "reason is empty: say why (cite the note or the source)", row)
    if r["edition"] and not re.fullmatch(r"\d{4}", r["edition"]):
        raise InputError(path, f"edition {r['edition']!r} is not a year", row)
    return int(r["edition"]) if r["edition"] else None


def load_overrides(path: Path | str, reference: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """`read_overrides`, then every code checked against the reference (InputError otherwise)."""
    overrides = read_overrides(path)
    check_overrides(overrides, reference)
    return overrides


def check_overrides(overrides: pd.DataFrame, reference: dict[str, pd.DataFrame]) -> None:
    """Every override code is a current commune code or an EPCI SIREN; départements are known;
    no two rows decide the same (edition, name, département)."""
    path = overrides.attrs.get("path", "overrides")
    current = set(
        reference["commune"].loc[reference["commune"]["commune_kind"] == "commune", "commune_code"]
    )
    sirens = set(reference["epci"]["epci_siren"])
    code_map = dict(
        zip(
            reference["commune_code_map"]["old_code"], reference["commune_code_map"]["commune_code"]
        )
    )
    depts = DeptNormalizer(reference["departement"])
    seen: dict[tuple, int] = {}
    for row, r in enumerate(overrides.itertuples(index=False), start=1):
        code = r.code
        if code is not None and code not in current and code not in sirens:
            hint = (
                f" (an old commune code: today's commune is {code_map[code]})"
                if code in code_map
                else ""
            )
            raise InputError(
                path, f"code {code} is neither a current commune code nor an EPCI SIREN{hint}", row
            )
        dept = None
        if r.departement is not None:
            dept = depts.normalize(r.departement)
            if dept is None or isinstance(dept, Foreign):
                raise InputError(path, f"département {r.departement!r} is not known", row)
            dept = tuple(sorted(dept))
        edition = None if pd.isna(r.edition) else int(r.edition)
        key = (edition, name_keys(r.name)[0], dept)
        if key in seen:
            raise InputError(
                path, f"decides the same edition, name and département as row {seen[key]}", row
            )
        seen[key] = row


@dataclass(frozen=True)
class OverrideRule:
    """One checked human decision; edition and départements None = any."""

    edition: int | None
    depts: frozenset[str] | None
    code: str | None
    decision: str
    reason: str
    decided_by: str | None


class OverrideRules:
    """The human decisions by folded name, each applying to the rows of its edition and
    département; empty when there is no decision file."""

    def __init__(
        self,
        overrides: pd.DataFrame | None,
        reference: dict[str, pd.DataFrame],
        depts: DeptNormalizer,
    ):
        self._rules: dict[str, list[OverrideRule]] = defaultdict(list)
        if overrides is None or not len(overrides):
            return
        check_overrides(overrides, reference)
        for r in overrides.itertuples(index=False):
            rule = OverrideRule(
                None if pd.isna(r.edition) else int(r.edition),
                None if r.departement is None else depts.normalize(r.departement),
                r.code,
                r.decision,
                r.reason,
                r.decided_by,
            )
            self._rules[name_keys(r.name)[0]].append(rule)

    def __bool__(self) -> bool:
        return bool(self._rules)

    def find(
        self, name: str, depts: frozenset[str] | None, edition: int | None
    ) -> OverrideRule | None:
        """The rule deciding this row: among those of its name, edition and département, the
        one stating the most of them (edition and département over either alone)."""
        best, best_rank = None, -1
        for rule in self._rules.get(name_keys(name)[0], ()):
            if rule.edition is not None and rule.edition != edition:
                continue
            if rule.depts is not None and (depts is None or not (depts & rule.depts)):
                continue
            rank = (rule.edition is not None) + (rule.depts is not None)
            if rank > best_rank:
                best, best_rank = rule, rank
        return best
