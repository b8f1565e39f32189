"""What is mapped per unit: the palmarès from the warehouse (read-only) and the cached geometry.

Laureates are placed in their département and région (an EPCI where most of its population
lives) by `analysis.edition_stats.placed_laureates`, the join the statistics pack counts with;
this module adds what only maps need: values per unit of a level, points, and which editions a
request covers. `validate` is the one check of a map request, before anything is read or drawn.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from pipeline import io
from pipeline.analysis import coverage, provenance
from pipeline.analysis.edition_stats import placed_laureates
from pipeline.build.sources.geometry import read_cached_layer
from pipeline.formatting import format_fr
from pipeline.paths import GEOMETRY_INDEX
from pipeline.report.maps.classes import check_scheme
from pipeline.report.maps.layout import check_format
from pipeline.report.maps.style import WGS84


@dataclass(frozen=True)
class Level:
    key: str  # code column of the cached layer and of the reference tables
    per: str  # "par département"
    name: str  # "département"


LEVELS = {
    "region": Level("region_code", "par région", "région"),
    "departement": Level("departement_code", "par département", "département"),
    "epci": Level("epci_siren", "par intercommunalité", "intercommunalité (EPCI)"),
    "commune": Level("commune_code", "par commune", "commune"),
}
#: Every unit of a level, from the reference tables (whether or not it has a laureate).
UNITS_SQL = {
    "region": "SELECT region_code FROM region",
    "departement": "SELECT departement_code FROM departement",
    "epci": "SELECT epci_siren FROM epci",
    "commune": "SELECT commune_code FROM commune WHERE commune_kind = 'commune'",
}


@dataclass(frozen=True)
class Variable:
    title: str  # starts the map's title
    legend_title: str
    unit: str  # see classify


#: What a choropleth can show, for the collectivities labelled in the editions asked for, in
#: our (partial) data. "points" draws the laureates themselves over a plain background.
VARIABLES = {
    "laureates": Variable(
        "Collectivités labellisées dans nos données",
        "Collectivités labellisées (dans nos données)",
        "number",
    ),
    "population_share": Variable(
        "Part de la population couverte par le label dans nos données",
        "Population d'une commune labellisée ou d'une intercommunalité labellisée",
        "percent",
    ),
    "max_arobases": Variable(
        "Niveau le plus élevé du label dans nos données", "Niveau le plus élevé", "arobases"
    ),
    "points": Variable("Lauréats dans nos données", "", "number"),
}
DEFAULT_VARIABLE = {
    "region": "laureates",
    "departement": "laureates",
    "epci": "points",
    "commune": "points",
}
#: Representative points by (geometry cache fingerprint, entity); see `laureate_points`.
_POINTS: dict[tuple[str, str], gpd.GeoSeries] = {}
#: sha256 of a file by (path, size, modification time, inode); see `geometry_fingerprint`.
_FILE_HASHES: dict[tuple, str] = {}
PALMARES_NOTE = (
    "Palmarès partiel : une collectivité absente de nos données n'est pas une "
    "collectivité non labellisée."
)


# ---------------------------------------------------------------------------------------------
# The request


@dataclass(frozen=True)
class Request:
    """A checked map request: the editions it covers (None when not asked) and the
    classification scheme ("user" when bins are given)."""

    editions: list[int] | None
    scheme: str


_NO_EDITION = object()  # `validate` without a connection: editions are not checked


def validate(
    level: str,
    variable: str | None,
    *,
    use: str = "map",
    scheme: str = "quantiles",
    bins: Sequence[float] | None = None,
    out: Path | str | None = None,
    con=None,
    edition=_NO_EDITION,
) -> Request:
    """ValueError for a request no map can draw, else what it resolves to.

    Checked in this order: the level; the variable (for `use` "values" or "small multiples",
    one with a value per unit: not "points"); the file format of `out`; the editions (with
    `con` and `edition`, see `resolve_editions`); the scheme and bins, when values are
    classified.
    """
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}: expected one of {', '.join(LEVELS)}")
    allowed = [v for v in VARIABLES if use == "map" or v != "points"]
    if variable not in allowed:
        raise ValueError(
            f"unknown variable {variable!r} for small multiples"
            if use == "small multiples"
            else f"unknown variable {variable!r}: expected one of {', '.join(allowed)}"
        )
    if out is not None:
        check_format(out)
    editions = None if edition is _NO_EDITION else resolve_editions(con, edition)
    if variable != "points":
        scheme = check_scheme(scheme, bins)
    return Request(editions, scheme)


def resolve_editions(con, edition: int | Iterable[int] | None) -> list[int]:
    """The editions asked for (None: every edition with laureates), checked against `edition`."""
    held = provenance.editions_held(con)
    if edition is None:
        if not held:
            raise ValueError("no laureate in the warehouse")
        return held
    asked = sorted(
        {int(edition)} if isinstance(edition, (int, np.integer)) else {int(e) for e in edition}
    )
    known = set(provenance.editions(con))
    unknown = [e for e in asked if e not in known]
    if unknown:
        raise ValueError(
            f"unknown edition {', '.join(map(str, unknown))} "
            f"(editions known: {min(known)}-{max(known)})"
            if known
            else "no edition in the warehouse"
        )
    if not set(asked) & set(held):
        raise ValueError(f"no laureate of edition {', '.join(map(str, asked))} in our data")
    return asked


def editions_label(editions: Sequence[int]) -> str:
    """ "édition 2024", "éditions 2021 à 2024", "éditions 2008, 2009 et 2024"."""
    editions = sorted(editions)
    if len(editions) == 1:
        return f"édition {editions[0]}"
    if editions == list(range(editions[0], editions[-1] + 1)) or len(editions) > 4:
        return f"éditions {editions[0]} à {editions[-1]}"
    return f"éditions {', '.join(map(str, editions[:-1]))} et {editions[-1]}"


# ---------------------------------------------------------------------------------------------
# Values per unit


def _communes(con) -> pd.DataFrame:
    """Current communes with their département, région, EPCI and population."""
    return (
        con.execute("""
        SELECT c.commune_code, c.departement_code, c.region_code, m.epci_siren,
               c.population::DOUBLE AS population
        FROM commune c LEFT JOIN epci_member m USING (commune_code)
        WHERE c.commune_kind = 'commune'
    """)
        .df()
        .set_index("commune_code")
    )


def _level_units(con, level: str) -> pd.Index:
    codes = [code for (code,) in con.execute(UNITS_SQL[level]).fetchall()]
    return pd.Index(codes, name=LEVELS[level].key)


def laureate_table(con, editions: Sequence[int]) -> pd.DataFrame:
    """One row per collectivity labelled in `editions` in our data, indexed by code.

    entity, name (as published in its latest edition of `editions`), arobases (level in that
    edition; <NA> when the source does not state it), max_arobases (highest stated level over
    `editions`), editions (how many it is labelled in), population (reference population of
    the commune or EPCI), and the departement_code, region_code it is placed in: a commune's
    own; for an EPCI those holding the largest part of its members' population (see
    `edition_stats.placed_laureates`, which also keeps one row per collectivity and edition:
    the highest level). epci_siren: a commune's EPCI.
    """
    rows = placed_laureates(con, editions if len(editions) else -1)
    rows["arobases"] = pd.to_numeric(rows["arobases"]).astype("Int64")
    rows = rows.sort_values(["code", "edition"], kind="stable")
    last = rows.drop_duplicates("code", keep="last").set_index("code")  # keeps an NA level
    is_commune = last["entity"] == "commune"
    table = pd.DataFrame(
        {
            "entity": last["entity"],
            "name": last["name"],
            "arobases": last["arobases"],
            "max_arobases": rows.groupby("code")["arobases"].max(),
            "editions": rows.groupby("code")["edition"].nunique(),
            "departement_code": last["departement_code"],
            "region_code": last["region_code"],
            "population": np.where(
                is_commune, last["commune_population"], last["epci_population"]
            ).astype(float),
        },
        index=last.index,
    )
    epci_of = _communes(con)["epci_siren"]
    table["epci_siren"] = np.where(is_commune, table.index.map(epci_of), None)
    return table.rename_axis("code")


def level_values(con, level: str, editions: Sequence[int], variable: str) -> pd.Series:
    """`variable` (see VARIABLES) for every unit of `level`, over the laureates of `editions`.

    - laureates: collectivities labelled, counted in their unit (an EPCI in the département or
      région holding most of its population, in itself at EPCI level; communes in their EPCI);
      at commune level, the commune's own label (EPCI are not counted). 0 where none.
    - population_share: % of the unit's population living in a labelled commune or in a
      member commune of a labelled EPCI.
    - max_arobases: highest stated @ level among those collectivities; missing where none has
      a stated level.
    """
    validate(level, variable, use="values")
    key = LEVELS[level].key
    units = _level_units(con, level)
    table = laureate_table(con, editions)
    if variable == "population_share":
        communes = _communes(con)
        labelled_epci = set(table.index[table["entity"] == "epci"])
        covered = communes.index.isin(table.index[table["entity"] == "commune"]) | communes[
            "epci_siren"
        ].isin(labelled_epci)
        frame = communes.assign(covered_people=communes["population"].where(covered, 0))
        unit_of = frame.index.to_series() if level == "commune" else frame[key]
        grouped = frame.groupby(unit_of)[["covered_people", "population"]].sum()
        share = (
            100 * grouped["covered_people"] / grouped["population"].where(grouped["population"] > 0)
        )
        return share.reindex(units).rename(variable)
    if level == "commune":
        table = table[table["entity"] == "commune"]
        unit_of = table.index.to_series()
    elif level == "epci":
        unit_of = pd.Series(
            np.where(table["entity"] == "epci", table.index, table["epci_siren"]), index=table.index
        )
    else:
        unit_of = table[key]
    if variable == "laureates":
        counts = table.groupby(unit_of).size()
        return counts.reindex(units, fill_value=0).astype(float).rename(variable)
    best = table["max_arobases"].astype(float).groupby(unit_of).max()
    return best.reindex(units).rename(variable)


# ---------------------------------------------------------------------------------------------
# Geometry: cached layers and laureates as points


def read_layer(geometry_dir, level: str, layers: dict | None = None) -> gpd.GeoDataFrame:
    """A cached layer, read once per `layers` dict (a map may need it twice)."""
    if layers is None:
        return read_cached_layer(geometry_dir, level)
    if level not in layers:
        layers[level] = read_cached_layer(geometry_dir, level)
    return layers[level]


def laureate_points(
    con, geometry_dir, editions: Sequence[int], layers: dict | None = None
) -> gpd.GeoDataFrame:
    """The laureates of `editions` as points (WGS84), indexed by code.

    A commune at its polygon's representative point, an EPCI at its polygon's; columns of
    `laureate_table`. Geometry is empty (None) for a collectivity without polygon (overseas
    collectivities).
    """
    table = laureate_table(con, editions)
    geometry = pd.Series(None, index=table.index, dtype=object)
    for entity in ("commune", "epci"):
        codes = table.index[table["entity"] == entity]
        if len(codes):
            places = _representative_points(geometry_dir, entity, layers).reindex(codes)
            places = places[places.notna()]
            geometry[places.index] = list(places)
    return gpd.GeoDataFrame(table, geometry=list(geometry), crs=WGS84)


def _representative_points(geometry_dir, entity: str, layers: dict | None) -> gpd.GeoSeries:
    """The representative point of every polygon of a layer, computed once per process and
    geometry cache: a kernel drawing many editions reads the 34,875 communes once."""
    fingerprint = geometry_fingerprint(Path(geometry_dir))
    for key in [key for key in _POINTS if key[0] != fingerprint]:  # an older geometry cache
        del _POINTS[key]
    if (fingerprint, entity) not in _POINTS:
        shapes = read_layer(geometry_dir, entity, layers).geometry
        _POINTS[fingerprint, entity] = shapes[shapes.notna()].representative_point()
    return _POINTS[fingerprint, entity]


def geometry_fingerprint(geometry_dir: Path) -> str:
    """Hash of the geometry cache's index and of every layer file it names (a file's hash is
    computed once per process while its size, time and inode stay the same)."""
    index = geometry_dir / GEOMETRY_INDEX
    if not index.exists():
        raise FileNotFoundError(f"{index}: no geometry cache yet, run `palmares build` first")
    files = json.loads(index.read_text("utf-8"))["files"]
    hashes = {name: _file_hash(geometry_dir / name) for name in sorted(files.values())}
    return io.bytes_sha256(json.dumps({GEOMETRY_INDEX: _file_hash(index), **hashes}).encode())


def _file_hash(path: Path) -> str:
    stat = path.stat()
    signature = (str(path.resolve()), stat.st_size, stat.st_mtime_ns, stat.st_ino)
    if signature not in _FILE_HASHES:
        _FILE_HASHES[signature] = io.file_sha256(path)
    return _FILE_HASHES[signature]


# ---------------------------------------------------------------------------------------------
# What the texts of a palmarès map say about its data


def coverage_subtitle(con, editions: Sequence[int]) -> str:
    """How much of the editions our data hold (the coverage of `analysis.coverage`), and how
    many of them the map places."""
    cov = coverage.coverage_model(con)
    placed = con.execute(
        "SELECT count(DISTINCT (edition, code)) FROM laureates WHERE list_contains(?, edition)",
        [list(editions)],
    ).fetchone()[0]
    if len(editions) == 1:
        text = coverage.held_sentence(coverage.scope_row(cov, editions[0]))
    else:
        whole = cov[(cov["scope"] == "all") & cov["edition"].isin(list(editions))]
        complete = [e for e in coverage.complete_editions(cov) if e in editions]
        text = (
            f"{format_fr(int(whole['held'].sum()))} attributions du label détenues ; éditions "
            f"complètes : {', '.join(map(str, complete)) or 'aucune'}"
        )
    return f"{text} ; {format_fr(placed)} identifiées et placées sur la carte"


def panel_notes(con, editions: Sequence[int]) -> dict[str, str]:
    """Each edition's laureates held against the published total, under its panel's title."""
    cov = coverage.coverage_model(con)
    return {str(e): coverage.held_sentence(coverage.scope_row(cov, e)) for e in editions}


def points_notes(points: gpd.GeoDataFrame, editions: Sequence[int]) -> list[str]:
    """The notes of a map with laureates as points: which ones it cannot place (no polygon:
    overseas collectivities), then where the points are and what their size says."""
    notes = [
        "Lauréats placés au point représentatif de leur commune ou "
        "intercommunalité ; surface des symboles proportionnelle à la "
        "population"
        + (" ; niveau de la dernière édition de la période" if len(editions) > 1 else "")
        + "."
    ]
    lost = points[points.geometry.isna()]
    if not lost.empty:
        names = ", ".join(
            sorted(
                f"{name} ({departement})"
                for name, departement in zip(lost["name"], lost["departement_code"])
            )
        )
        notes.insert(0, f"Non représentées faute de fond de carte : {names}.")
    return notes
