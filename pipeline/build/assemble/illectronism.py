"""From data/raw/insee to the warehouse table ``illectronism``: read, join, supersede.

The table (schema.sql) has one row per figure: the curated CSV's rows (typed by the rules of
`sources.insee`) and the rows of every figure download (`sources.insee_download`, with what its
manifest entry says it measures). Two rules are written here so they can be read and tested:

- geography: régions, départements and Paris arrondissements join the COG 2026 reference by
  code. EPCI codes are read in the geography of their vintage (``code_vintage``: the data year,
  or the figure's ``geography_vintage``) and followed to today's EPCI through their member
  communes (``commune_code_map`` then ``epci_member`` of COG 2026): ``same_code`` (same SIREN,
  same communes), ``same_communes_new_code``, ``same_code_changed`` (same SIREN today,
  communes gained or lost: the note says which), ``absorbed`` (all its communes now in one
  larger EPCI: attached to it, territory differs), ``split`` (communes now in several EPCIs, the
  code gone: not attached), ``code_not_in_vintage`` (a code of today used for data of an
  earlier year). A figure whose published name says it covers part of the EPCI ("(partie
  Hauts-de-France)") is attached with ``same_territory`` false. ``same_territory`` is true only
  when the attached territory is exactly the figure's. Levels without a reference (country,
  urban_area_type, epci_group...) have NULL join columns; an EPCI published without a code
  stays unjoined (``no_code``).
- a figure download replaces the curated CSV's rows for the same figure (same year, level,
  code, breakdown, indicator, scope and definition) and a first-hand download replaces a
  second-hand one; the kept row's ``note`` names the rows replaced and their values. Two
  downloads of the same figure at the same rank are refused.

The EPCI lists of past years (``epci_YYYY.json``, role ``epci_vintage``) are read here too: they
exist only for these joins (written by `sources.reference.refresh_epci_vintage`).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipeline.build import manifest
from pipeline.build.schema import schema_columns
from pipeline.build.sources.insee import (
    DIRECTORY,
    FIGURE_TABLE_COLUMNS,
    NO_DEFINITION,
    REFERENCE_LEVELS,
    ROLE_CURATED,
    ROLE_DOWNLOAD,
    ROLE_EPCI_VINTAGE,
    ROLE_NOTES,
    ROLES,
    TABLE,
    MetadataError,
    ingest_metadata,
    read_illectronism_csv,
)
from pipeline.build.sources.insee_download import read_insee_figure
from pipeline.errors import InputError
from pipeline.paths import COG_YEAR, Paths

# --- Geography ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Join:
    current_code: str | None
    code_joined: bool | None
    same_territory: bool | None
    join_method: str
    join_note: str | None


_NO_REFERENCE = Join(None, None, None, "no_reference_level", None)


def _grouped(keys: Iterable[str], values: Iterable[str]) -> dict[str, frozenset]:
    grouped: dict[str, set] = defaultdict(set)
    for key, value in zip(keys, values):
        grouped[key].add(value)
    return {key: frozenset(group) for key, group in grouped.items()}


class Geography:
    """Joins published codes to COG 2026; EPCI codes through their vintage's member communes."""

    def __init__(self, reference: dict[str, pd.DataFrame], epci_vintages: dict[int, dict]):
        self.regions = set(reference["region"]["region_code"])
        self.departements = set(reference["departement"]["departement_code"])
        commune = reference["commune"]
        self.arrondissements = set(
            commune.loc[commune["commune_kind"] == "arrondissement", "commune_code"]
        )
        self.epci_names = dict(zip(reference["epci"]["epci_siren"], reference["epci"]["name"]))
        members = reference["epci_member"]
        self.members_now = _grouped(members["epci_siren"], members["commune_code"])
        self.epci_of = dict(zip(members["commune_code"], members["epci_siren"]))
        code_map = reference["commune_code_map"]
        self.current_communes = _grouped(code_map["old_code"], code_map["commune_code"])
        self.vintages = {}
        for year, vintage in epci_vintages.items():
            self.vintages[year] = {
                siren: (epci["name"], self._current(epci["members"]))
                for siren, epci in vintage.items()
            }
        # codes of the reference's own vintage are compared with the reference itself
        self.vintages.setdefault(
            COG_YEAR,
            {
                siren: (self.epci_names.get(siren, ""), communes)
                for siren, communes in self.members_now.items()
            },
        )

    def _current(self, codes: Iterable[str]) -> frozenset:
        found = set()
        for code in codes:
            found |= self.current_communes.get(code, {f"?{code}"})  # unknown: kept, never matches
        return frozenset(found)

    def join(
        self,
        level: str,
        code: str | None,
        vintage: int | None,
        name: str,
        codes_in_file: set[str] = frozenset(),
    ) -> Join:
        """How a published code joins; raises LookupError (with the reason) for an unknown code."""
        if level not in REFERENCE_LEVELS:
            return _NO_REFERENCE
        if code is None:
            return Join(None, False, False, "no_code", f"published without a code ({name})")
        if level != "epci":
            known = {
                "region": self.regions,
                "departement": self.departements,
                "arrondissement": self.arrondissements,
            }[level]
            if code not in known:
                raise LookupError(f"unknown {level} code {code} (COG {COG_YEAR})")
            return Join(code, True, True, "same_code", None)
        join = self._epci(code, vintage, codes_in_file)
        if part := re.search(r"\((partie [^)]*)\)", name or ""):
            note = f"the figure covers only part of the EPCI ({part[1]}, as published); " + (
                join.join_note or ""
            )
            join = Join(
                join.current_code,
                join.code_joined,
                False,
                join.join_method,
                note.rstrip("; ").strip(),
            )
        return join

    def _describe(self, siren: str) -> str:
        return f"{siren} {self.epci_names.get(siren, '')}".strip()

    def _epci(self, code: str, vintage: int | None, codes_in_file: set[str]) -> Join:
        listed = self.vintages.get(vintage, {})
        if code not in listed:
            if code not in self.members_now:
                where = f"the EPCI of COG {COG_YEAR}" + (
                    f" nor of the {vintage} list"
                    if vintage in self.vintages and vintage != COG_YEAR
                    else ""
                )
                raise LookupError(f"unknown EPCI code {code}: not among {where}")
            if vintage not in self.vintages:
                return Join(
                    code,
                    True,
                    None if vintage is None else False,
                    "same_code",
                    f"no EPCI list of {vintage} to compare memberships with" if vintage else None,
                )
            parts = defaultdict(int)
            for commune in self.members_now[code]:
                holder = next((s for s, (_, m) in listed.items() if commune in m), None)
                parts[holder] += 1
            made_of = ", ".join(
                f"{s} {listed[s][0]} ({n} communes"
                + (", also a row of this file)" if s in codes_in_file else ")")
                if s
                else f"{n} communes in no EPCI"
                for s, n in sorted(parts.items(), key=lambda p: -p[1])
            )
            return Join(
                code,
                True,
                False,
                "code_not_in_vintage",
                f"code {code} is not in the EPCI list of {vintage} (it is today's "
                f"code); today's territory is made of the {vintage} EPCI {made_of}",
            )
        _, communes = listed[code]
        holders: dict[str | None, set] = defaultdict(set)
        for commune in communes:
            holders[self.epci_of.get(commune)].add(commune)
        n = len(communes)
        if set(holders) == {code}:
            now = self.members_now[code]
            if now == communes:
                return Join(code, True, True, "same_code", None)
            return Join(
                code,
                True,
                False,
                "same_code_changed",
                f"today's {self._describe(code)} has {len(now)} communes, the {n} it "
                f"had in {vintage} and {self._origins(now - communes, vintage)}",
            )
        if len(holders) == 1 and None not in holders:
            (target,) = holders
            now = self.members_now[target]
            if now == communes:
                return Join(
                    target,
                    True,
                    True,
                    "same_communes_new_code",
                    f"the {n} communes of {code} ({vintage}) form {self._describe(target)} today",
                )
            return Join(
                target,
                True,
                False,
                "absorbed",
                f"the {n} communes of {code} ({vintage}) are now part of "
                f"{self._describe(target)}, which has {len(now)} communes: the figure "
                "covers part of it",
            )
        elsewhere = ", ".join(
            f"{len(c)} in {self._describe(s) if s else 'no EPCI'}"
            for s, c in sorted(holders.items(), key=lambda p: -len(p[1]))
            if s != code
        )
        if code in holders:
            now = self.members_now[code]
            gained = now - communes
            note = (
                f"{n - len(holders[code])} of its {n} communes of {vintage} are now in other "
                f"EPCI ({elsewhere}); today's {code} has {len(now)} communes"
            )
            if gained:
                note += f", among them {self._origins(gained, vintage)}"
            return Join(code, True, False, "same_code_changed", note)
        return Join(
            None,
            False,
            False,
            "split",
            f"its {n} communes of {vintage} are now in several EPCI ({elsewhere}): no "
            "single EPCI of today covers the figure's territory",
        )

    def _origins(self, gained: set, vintage: int) -> str:
        """'2 communes from 2019 EPCI 246000376 CC du Clermontois' for communes gained since."""
        listed = self.vintages[vintage]
        origin: dict[str | None, list] = defaultdict(list)
        for commune in sorted(gained):
            origin[next((s for s, (_, m) in listed.items() if commune in m), None)].append(commune)
        return ", ".join(
            f"{len(codes)} commune{'s' if len(codes) > 1 else ''} from "
            + (
                f"{vintage} EPCI {siren} {listed[siren][0]}"
                if siren
                else f"no EPCI of the {vintage} list ({', '.join(codes)})"
            )
            for siren, codes in sorted(origin.items(), key=lambda p: -len(p[1]))
        )


def read_epci_vintage(path: Path) -> tuple[int, dict]:
    """(vintage year, {siren: {"name", "kind", "members"}}) of an epci_YYYY.json file."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        vintage = int(data["vintage"])
        epcis = {
            e["siren"]: {"name": e["name"], "kind": e["kind"], "members": e["members"]}
            for e in data["epci"]
        }
    except FileNotFoundError:
        raise InputError(path, "missing") from None
    except (
        OSError,
        UnicodeDecodeError,
        json.JSONDecodeError,
        KeyError,
        TypeError,
        ValueError,
    ) as exc:
        raise InputError(
            path,
            f"not an EPCI vintage file ({type(exc).__name__}: {exc}); "
            "regenerate it with refresh_epci_vintage",
        ) from None
    return vintage, epcis


def load_epci_vintages(paths: Paths) -> dict[int, dict]:
    """The EPCI vintages listed in data/raw/insee/manifest.json, checked against their hash."""
    directory = paths.raw / DIRECTORY
    vintages = {}
    for entry in manifest.load(directory):
        if entry["role"] == ROLE_EPCI_VINTAGE:
            year, epcis = read_epci_vintage(manifest.verified(directory, entry))
            vintages[year] = epcis
    return vintages


def attach_geography(rows: pd.DataFrame, geography: Geography, root: Path) -> pd.DataFrame:
    """`rows` with the join columns; an unknown code raises InputError (file, row)."""
    codes_by_file = (
        rows.groupby("source_file")["geography_code"].agg(lambda s: set(s.dropna())).to_dict()
    )
    joins = []
    for row in rows.itertuples(index=False):
        vintage = None if pd.isna(row.code_vintage) else int(row.code_vintage)
        code = None if pd.isna(row.geography_code) else str(row.geography_code)
        try:
            joins.append(
                geography.join(
                    row.geography_level,
                    code,
                    vintage,
                    row.geography_name,
                    codes_by_file[row.source_file],
                )
            )
        except LookupError as exc:
            raise InputError(
                root / row.source_file, str(exc.args[0]), row=int(row.source_row)
            ) from None
    joined = pd.DataFrame(
        [j.__dict__ for j in joins],
        index=rows.index,
        columns=["current_code", "code_joined", "same_territory", "join_method", "join_note"],
    )
    return pd.concat([rows, joined], axis=1)


# --- Assembling the table -------------------------------------------------------------------

_FIGURE_KEY = [
    "year",
    "geography_level",
    "geography_code",
    "breakdown",
    "breakdown_value",
    "indicator",
    "population_scope",
    "definition_version",
]


def figure_rows(figure: pd.DataFrame, metadata: dict) -> pd.DataFrame:
    """Table rows (without the geography join) of a figure read by `read_insee_figure`."""
    meta = ingest_metadata(**metadata)
    rate = figure["measure"] == "rate"
    relay = meta["second_hand_via"]
    return pd.DataFrame(
        {
            "source_file": figure["source_file"],
            "source_row": figure["source_row"],
            "year": meta["year"],
            "geography_level": figure["geography_level"],
            "geography_code": figure["geography_code"],
            "geography_name": figure["geography_name"].fillna(figure["geography_code"]),
            "code_vintage": meta["geography_vintage"],
            "breakdown": meta["breakdown"],
            "breakdown_value": meta["breakdown_value"],
            "indicator": rate.map({True: meta["indicator"], False: meta["count_indicator"]}),
            "value": figure["value"],
            "value_kind": figure["value"].isna().map({True: "missing", False: "exact"}),
            "value_low": None,
            "value_high": None,
            "value_published": figure["value_published"],
            "unit": rate.map({True: "percent", False: "persons"}),
            "population_scope": meta["scope"],
            "population_scope_published": meta["scope"],
            "definition_version": None
            if meta["definition"] == NO_DEFINITION
            else meta["definition"],
            "estimation": meta["estimation"],
            "producer": meta["producer"],
            "publication": meta["publication"],
            "source_url": meta["source_url"],
            "quote": figure["cells"],
            "is_second_hand": relay is not None,
            "relayed_by": relay,
            "note": None,
        }
    )[FIGURE_TABLE_COLUMNS]


def entry_metadata(directory: Path, entry: dict) -> dict:
    """The validated metadata of a figure download's manifest entry (InputError if invalid)."""
    figure = entry.get("figure")
    where = directory / manifest.MANIFEST
    if not isinstance(figure, dict):
        raise InputError(
            where,
            f'entry {entry["path"]} (role {ROLE_DOWNLOAD}) has no "figure" '
            "metadata (indicator, year, definition, scope, source_url)",
        )
    try:
        return ingest_metadata(**figure)
    except TypeError as exc:
        raise InputError(where, f"entry {entry['path']}: figure metadata {exc}") from None
    except MetadataError as exc:
        raise InputError(where, f"entry {entry['path']}: {exc}") from None


def supersede(rows: pd.DataFrame, root: Path) -> pd.DataFrame:
    """Drop the rows a figure download replaces (rule in the module docstring), noting them.

    Rank: first-hand download 0, second-hand download 1, curated CSV 2; `rows` has a `_rank`.
    """
    keys = list(zip(*(rows[c].astype(object).where(rows[c].notna(), None) for c in _FIGURE_KEY)))
    groups: dict[tuple, list[int]] = defaultdict(list)
    for position, key in enumerate(keys):
        groups[key].append(position)
    ranks = rows["_rank"].tolist()
    files, numbers = rows["source_file"].tolist(), rows["source_row"].tolist()
    values, published = rows["value"].tolist(), rows["value_published"].tolist()
    keep = [True] * len(rows)
    notes = rows["note"].astype(object).tolist()
    for members in groups.values():
        best = min(ranks[i] for i in members)
        if best == 2:  # curated rows only: all kept (sources may disagree, each is a fact)
            continue
        winners = [i for i in members if ranks[i] == best]
        if len({files[i] for i in winners}) > 1:
            first, second = winners[0], next(i for i in winners if files[i] != files[winners[0]])
            raise InputError(
                root / files[first],
                f"row {numbers[first]} gives the same figure "
                f"as {files[second]} row {numbers[second]} (same year, geography, "
                "indicator, scope and definition): keep one of the two files",
            )
        losers = [i for i in members if ranks[i] > best]
        if not losers:
            continue
        for i in losers:
            keep[i] = False
        winner = winners[0]
        notes[winner] = "replaces " + "; ".join(
            f"{files[i]} row {numbers[i]} ("
            + ("same value" if values[i] == values[winner] else f"value there: {published[i]}")
            + ")"
            for i in losers
        )
    return rows.assign(note=notes)[keep]


def assemble_illectronism(
    paths: Paths, reference: dict[str, pd.DataFrame]
) -> tuple[dict[str, pd.DataFrame], list[dict]]:
    """Read and check every file of data/raw/insee/manifest.json; return ({"illectronism":
    table}, one `source` row per file). Nothing is returned unless every file is valid."""
    directory = paths.raw / DIRECTORY
    entries = manifest.load(directory)
    by_role: dict[str, list[dict]] = defaultdict(list)
    for entry in entries:
        if entry["role"] not in ROLES:
            raise InputError(
                directory / manifest.MANIFEST,
                f"entry {entry['path']}: unknown "
                f"role {entry['role']!r} (known: {', '.join(ROLES)})",
            )
        by_role[entry["role"]].append(entry)
    if len(by_role[ROLE_CURATED]) != 1:
        raise InputError(
            directory / manifest.MANIFEST,
            f"lists {len(by_role[ROLE_CURATED])} file(s) with role {ROLE_CURATED!r}, expected 1",
        )
    counts: dict[str, int | None] = {}
    vintages = {}
    for entry in by_role[ROLE_EPCI_VINTAGE]:
        year, epcis = read_epci_vintage(manifest.verified(directory, entry))
        vintages[year] = epcis
        counts[entry["path"]] = len(epcis)
    frames = []
    for entry in by_role[ROLE_CURATED]:
        path = manifest.verified(directory, entry)
        rows = read_illectronism_csv(path, path.relative_to(paths.root).as_posix())
        counts[entry["path"]] = len(rows)
        frames.append(rows.assign(_rank=2))
    for entry in by_role[ROLE_DOWNLOAD]:
        path = manifest.verified(directory, entry)
        metadata = entry_metadata(directory, entry)
        figure = read_insee_figure(path, path.relative_to(paths.root).as_posix())
        counts[entry["path"]] = int(figure["source_row"].nunique())
        frames.append(
            figure_rows(figure, metadata).assign(_rank=1 if metadata["second_hand_via"] else 0)
        )
    for entry in by_role[ROLE_NOTES]:
        manifest.verified(directory, entry)
    rows = pd.concat(frames, ignore_index=True)
    rows = supersede(rows, paths.root)
    rows = attach_geography(rows, Geography(reference, vintages), paths.root)
    table = as_table(rows)
    sources = [
        manifest.source_row(paths.root, directory, entry, counts.get(entry["path"]))
        for entry in entries
    ]
    return {TABLE: table}, sources


def as_table(rows: pd.DataFrame) -> pd.DataFrame:
    """The table's columns in schema order, typed for DuckDB, sorted."""
    columns = [c.name for c in schema_columns()[TABLE]]
    table = rows[columns].copy()
    for name in ("source_row", "year", "code_vintage"):
        table[name] = pd.array(
            table[name].astype(object).where(table[name].notna(), None), dtype="Int64"
        )
    for name in ("value", "value_low", "value_high"):  # Float64: missing is NULL, never NaN
        table[name] = pd.array(pd.to_numeric(table[name], errors="raise"), dtype="Float64")
    for name in ("code_joined", "same_territory"):
        table[name] = pd.array(
            table[name].astype(object).where(table[name].notna(), None), dtype="boolean"
        )
    table["is_second_hand"] = table["is_second_hand"].astype(bool)
    for name in columns:
        if table[name].dtype == object:
            table[name] = table[name].where(table[name].notna(), None)
    return table.sort_values(["source_file", "source_row", "indicator"]).reset_index(drop=True)
