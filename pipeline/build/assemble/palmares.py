"""From the palmarès files to warehouse tables: read, resolve, set aside, check.

Every row of every palmarès file ends in `laureates` (resolved to a commune or an EPCI) or in
`quarantine` (with the reason); the two together always hold exactly the rows read. The
edition aggregates are reduced to one value per edition by the rule of `sources.editions`,
and the press claims are checked against the resolved palmarès. Undated @ counts seen on
collectivities' pages (`sources.snapshots`) are resolved by the same resolver into a table of
their own, `undated_observation`: weak evidence, never a palmarès row. A file whose manifest
entry declares it complete for some editions gives those editions' counts as a source
(`editions.declared_counts`) and a row per edition in `complete_declaration`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipeline.build import claim_semantics, manifest
from pipeline.build.resolve import Resolver, load_overrides
from pipeline.build.schema import schema_columns
from pipeline.build.sources import claims as claim_source
from pipeline.build.sources import editions as edition_source
from pipeline.build.sources import snapshots as snapshot_source
from pipeline.build.sources.palmares import read_palmares
from pipeline.errors import InputError
from pipeline.paths import Paths


@dataclass
class Palmares:
    """The palmarès tables for the warehouse and the provenance rows of their files."""

    tables: dict[str, pd.DataFrame]
    sources: list[dict]


def assemble_palmares(paths: Paths, reference: dict[str, pd.DataFrame]) -> Palmares:
    """Read every file listed in data/raw/palmares/manifest.json and build the palmarès tables."""
    directory = paths.raw / "palmares"
    entries = manifest.load(directory)
    by_role = _by_role(directory, entries)
    counts: dict[str, int | None] = {}

    frames, declared, declarations = [], [], []
    for entry in by_role["palmares"]:
        path = manifest.verified(directory, entry)
        source_file = path.relative_to(paths.root).as_posix()
        rows = read_palmares(path, source_file=source_file)
        counts[entry["path"]] = len(rows)
        frames.append(rows)
        declaration = manifest.complete_declaration(
            directory, entry, {int(e) for e in rows["edition"].dropna()}
        )
        if declaration:
            counted = edition_source.declared_counts(rows, source_file, declaration["editions"])
            declared.append(counted)
            declarations += [
                {
                    "source_file": source_file,
                    "edition": int(year),
                    "rows_in_file": int(total),
                    "declared_by": declaration["by"],
                    "declared_on": declaration["on"],
                }
                for year, total in zip(
                    counted["first_year"], counted["total_labelled"], strict=True
                )
            ]
    rows = pd.concat(frames, ignore_index=True)

    (overrides_entry,) = by_role["overrides"]
    overrides = load_overrides(manifest.verified(directory, overrides_entry), reference)
    counts[overrides_entry["path"]] = len(overrides)
    resolver = Resolver(reference, overrides)
    laureates, quarantine = split_resolved(rows, resolver.resolve_rows(rows))

    (aggregates_entry,) = by_role["edition_aggregates"]
    aggregates = edition_source.read_edition_aggregates(
        manifest.verified(directory, aggregates_entry)
    )
    counts[aggregates_entry["path"]] = len(aggregates)
    edition, conflicts = edition_source.choose_editions(
        aggregates, set(rows["edition"]), pd.concat(declared) if declared else None
    )
    edition["distinctions"] = edition["label_year"].map(_distinctions(rows))

    (claims_entry,) = by_role["claims"]
    (facts_entry,) = by_role["claim_facts"]
    claims = claim_source.read_claims(manifest.verified(directory, claims_entry))
    facts = claim_source.read_claim_facts(
        manifest.verified(directory, facts_entry), set(claims["source_row"])
    )
    counts[claims_entry["path"]], counts[facts_entry["path"]] = len(claims), len(facts)
    claim = check_claims(claims, facts, resolver, laureates, list(edition["label_year"]))

    observed = []
    for entry in by_role.get("undated_observations", []):
        path = manifest.verified(directory, entry)
        seen = snapshot_source.read_undated_snapshot(
            path, source_file=path.relative_to(paths.root).as_posix()
        )
        counts[entry["path"]] = len(seen)
        observed.append(snapshot_source.observations(seen, resolver.resolve_rows(seen)))

    sources = [
        manifest.source_row(paths.root, directory, entry, counts.get(entry["path"]))
        for entry in entries
    ]
    tables = {
        "edition_aggregate": aggregates,
        "edition": edition,
        "edition_conflict": conflicts,
        "complete_declaration": _as_table(
            pd.DataFrame(
                declarations, columns=[c.name for c in schema_columns()["complete_declaration"]]
            ),
            "complete_declaration",
        ),
        "laureates": laureates,
        "quarantine": quarantine,
        "claim": claim,
        "claim_fact": _as_table(facts, "claim_fact"),
        "undated_observation": (
            pd.concat(observed, ignore_index=True) if observed else snapshot_source.empty()
        ),
    }
    return Palmares(tables, sources)


def _by_role(directory: Path, entries: list[dict]) -> dict[str, list[dict]]:
    """Entries grouped by role; each single-file role must be present exactly once."""
    grouped: dict[str, list[dict]] = {}
    for entry in entries:
        grouped.setdefault(entry["role"], []).append(entry)
    for role in ("palmares", "overrides", "edition_aggregates", "claims", "claim_facts"):
        count = len(grouped.get(role, []))
        if count == 0 or (role != "palmares" and count > 1):
            raise InputError(
                directory / manifest.MANIFEST, f"lists {count} file(s) with role {role!r}"
            )
    return grouped


def split_resolved(
    rows: pd.DataFrame, decisions: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The `laureates` and `quarantine` tables; every row read lands in exactly one of them."""
    resolved = decisions["status"] == "resolved"
    both = rows.drop(columns="code").join(
        decisions[["code", "entity", "departement_code", "method", "score", "candidates", "reason"]]
    )
    laureates = both[resolved].rename(
        columns={
            "departement": "published_departement",
            "departement_code": "departement",
            "method": "resolution_method",
            "score": "resolution_score",
        }
    )
    laureates["name"] = laureates["published_name"]
    quarantine = both[~resolved].copy()
    quarantine["name"] = quarantine["published_name"]
    if len(laureates) + len(quarantine) != len(rows):
        raise AssertionError("a palmarès row was lost")
    return (_as_table(laureates, "laureates"), _as_table(quarantine, "quarantine"))


def _as_table(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """The columns of a warehouse table, in schema order."""
    columns = [column.name for column in schema_columns()[table]]
    return frame.reset_index(drop=True)[columns]


def _distinctions(rows: pd.DataFrame) -> dict[int, list[str]]:
    named = rows.dropna(subset=["distinction"])
    return {year: sorted(set(group["distinction"])) for year, group in named.groupby("edition")}


def check_claims(
    claims: pd.DataFrame,
    facts: pd.DataFrame,
    resolver: Resolver,
    laureates: pd.DataFrame,
    editions: list[int],
) -> pd.DataFrame:
    """The `claim` table: each claim, the collectivity it names, and the verdict of the rows
    held on it, by the one reading of `claim_semantics` (editions are the label years)."""
    asked = pd.DataFrame(
        {
            "edition": claims["stated_in_year"],
            "name": claims["name"],
            "departement": claims["departement"],
            "kind": None,
            "code": None,
        }
    )
    decisions = resolver.resolve_rows(asked)
    claims = claims.assign(code=decisions["code"].where(decisions["status"] == "resolved"))
    statuses, details = [], []
    for claim in claims.itertuples(index=False):
        mine = facts[facts["claim_row"] == claim.source_row]
        if claim.code is None or pd.isna(claim.code):
            status, detail = "unresolved", "the name did not resolve to one collectivity"
        elif mine.empty:
            status, detail = "not_checkable", "no checkable fact (undated or context only)"
        else:
            held = laureates[laureates["code"] == claim.code]
            status, detail = claim_semantics.check(
                mine.itertuples(index=False), held_masks(held), editions
            )
        statuses.append(status)
        details.append(detail)
    claims = claims.assign(check_status=statuses, check_detail=details)
    return _as_table(claims, "claim")


def held_masks(held: pd.DataFrame) -> dict[int, int]:
    """Per edition, the states the rows held for one collectivity allow (see
    `claim_semantics.held_mask`)."""
    return {
        int(edition): claim_semantics.held_mask(group["arobases"].dropna())
        for edition, group in held.groupby("edition")
    }
