"""Maps of points drawn over a backdrop rendered once: the same pixels, and a new backdrop when
the geometry cache changes.

On the tiny warehouse and geometry cache of test_maps (four communes), at low dpi.
"""

import json

import matplotlib.pyplot as plt
import numpy as np
import pytest
import shapely
from geopandas import read_parquet
from matplotlib.colors import to_rgb
from PIL import Image
from test_maps import tiny  # noqa: F401 (a fixture, through `tiny_cache`)

from pipeline import io
from pipeline.report.maps import LEVEL_COLOURS, background, edition_map, laureate_points


@pytest.fixture
def tiny_cache(tiny):  # noqa: F811 (test_maps' fixture)
    """The tiny warehouse (read-only connection) and its geometry cache."""
    return tiny


@pytest.fixture(autouse=True)
def fresh_memory(monkeypatch):
    """Each test starts with no backdrop in memory, and closes its figures."""
    monkeypatch.setattr(background, "_MEMORY", {})
    yield
    plt.close("all")


@pytest.fixture
def renders(monkeypatch) -> list[str]:
    """The level of each backdrop rendered (not read from memory or disk)."""
    done = []
    render = background._render

    def counted(geometry_dir, level, *args):
        done.append(level)
        return render(geometry_dir, level, *args)

    monkeypatch.setattr(background, "_render", counted)
    return done


def pixels(path) -> np.ndarray:
    with Image.open(path) as png:
        return np.asarray(png.convert("RGBA")).astype(int)


def vector_png(con, geometry, path, dpi: int, **options) -> np.ndarray:
    """The same map drawn whole (no file given: no backdrop), saved as `save` saves maps."""
    figure = edition_map(con, geometry, 2024, "commune", None, dpi=dpi, **options)
    assert "shapes" in {c.get_label() for c in figure.axes[0].collections}
    figure.savefig(path, dpi=dpi, facecolor="white")
    return pixels(path)


def move_commune(geometry, code: str, square) -> None:
    """Give a commune another polygon in the geometry cache, written as the geometry build
    writes: whole, then renamed (its index, current.json, unchanged)."""
    name = json.loads((geometry / "current.json").read_text())["files"]["commune"]
    communes = read_parquet(geometry / name)
    communes.loc[code, "geometry"] = square
    with io.atomic_path(geometry / name) as tmp:
        communes.to_parquet(tmp)


def backdrops(geometry) -> list[str]:
    return sorted(path.name for path in (geometry / background.FOLDER).glob("*.png"))


@pytest.mark.parametrize(
    ("dpi", "idf_inset"),
    [(72, False), (100, True)],  # 72 dpi: a figure 604.8 pixels high, drawn on 604
)
def test_points_over_the_backdrop_have_the_pixels_of_the_whole_map(
    tiny_cache, tmp_path, dpi, idf_inset
):
    con, geometry = tiny_cache
    out = tmp_path / "carte.png"
    figure = edition_map(con, geometry, 2024, "commune", out, dpi=dpi, idf_inset=idf_inset)

    metro = {ax.get_label(): ax for ax in figure.axes}["metro"]
    assert {c.get_label() for c in metro.collections} == {"points-commune", "points-epci-unknown"}
    assert [a.get_label() for a in figure.artists] == ["background"]
    layout = f"commune-departement{'-idf' if idf_inset else ''}-{dpi}dpi.png"
    assert [name.split("-", 1)[1] for name in backdrops(geometry)] == [layout]

    drawn = pixels(out)
    assert np.array_equal(
        drawn, vector_png(con, geometry, tmp_path / "whole.png", dpi, idf_inset=idf_inset)
    )
    level_5 = np.round(np.array(to_rgb(LEVEL_COLOURS[5])) * 255)
    assert (drawn[..., :3] == level_5).all(axis=2).any()  # La Madeleine's point is there


def test_memory_then_disk_then_a_render_when_the_drawing_changes(
    tiny_cache, tmp_path, renders, monkeypatch
):
    con, geometry = tiny_cache
    for edition_file in ("a.png", "b.png"):
        plt.close(edition_map(con, geometry, 2024, "commune", tmp_path / edition_file, dpi=50))
    assert renders == ["commune"]  # the second map took it from memory
    monkeypatch.setattr(background, "_MEMORY", {})  # a new kernel
    plt.close(edition_map(con, geometry, 2023, "commune", tmp_path / "c.png", dpi=50))
    assert renders == ["commune"]  # read from the geometry cache's folder
    with plt.rc_context({"font.family": "serif"}):  # what the inset titles are drawn with
        plt.close(edition_map(con, geometry, 2024, "commune", tmp_path / "d.png", dpi=50))
    assert renders == ["commune", "commune"]
    assert len(backdrops(geometry)) == 1  # drawn again over the same file


def test_a_changed_geometry_cache_draws_a_new_backdrop(tiny_cache, tmp_path, renders):
    con, geometry = tiny_cache
    before = tmp_path / "before.png"
    plt.close(edition_map(con, geometry, 2024, "commune", before, dpi=50))
    (old,) = backdrops(geometry)

    move_commune(geometry, "62041", shapely.box(2.5, 49.2, 2.7, 49.4))  # Arras, south

    after = tmp_path / "after.png"
    plt.close(edition_map(con, geometry, 2024, "commune", after, dpi=50))
    assert renders == ["commune", "commune"]
    assert old not in backdrops(geometry) and len(backdrops(geometry)) == 1  # the old one removed
    assert not np.array_equal(pixels(before), pixels(after))
    assert np.array_equal(pixels(after), vector_png(con, geometry, tmp_path / "whole.png", 50))


def test_vector_formats_and_figures_without_a_file_are_drawn_whole(tiny_cache, tmp_path, renders):
    con, geometry = tiny_cache
    for out in (tmp_path / "carte.svg", tmp_path / "carte.pdf", None):
        figure = edition_map(con, geometry, 2024, "commune", out)
        assert "shapes" in {c.get_label() for c in figure.axes[0].collections}
        assert not figure.artists
    assert renders == [] and backdrops(geometry) == []


def test_shown_at_another_size_the_map_looks_the_same(tiny_cache, tmp_path):
    """A notebook shows the figure at its own dpi, cropped: the backdrop is resampled."""
    con, geometry = tiny_cache
    figure = edition_map(con, geometry, 2024, "commune", tmp_path / "carte.png", dpi=150)
    figure.savefig(tmp_path / "shown.png", dpi=40, bbox_inches="tight")
    whole = edition_map(con, geometry, 2024, "commune", None)
    whole.savefig(tmp_path / "whole.png", dpi=40, bbox_inches="tight")
    shown, expected = pixels(tmp_path / "shown.png"), pixels(tmp_path / "whole.png")
    assert shown.shape == expected.shape
    # of 255: 0.34 measured; 3.7 with the backdrop upside down, 0.6 with it 2 pixels aside
    assert np.abs(shown - expected).mean() < 0.5


def test_a_cache_folder_that_cannot_be_written_still_draws(tiny_cache, tmp_path):
    con, geometry = tiny_cache
    (geometry / background.FOLDER).write_text("not a folder")
    out = tmp_path / "carte.png"
    plt.close(edition_map(con, geometry, 2024, "commune", out, dpi=50))
    assert np.array_equal(pixels(out), vector_png(con, geometry, tmp_path / "whole.png", 50))


def test_laureate_points_follow_a_changed_geometry_cache(tiny_cache):
    """Representative points are kept per process and geometry cache (a kernel drawing many
    editions reads the communes once): a new cache moves them."""
    con, geometry = tiny_cache
    before = laureate_points(con, geometry, [2024]).geometry["59368"]
    move_commune(geometry, "59368", shapely.box(3.5, 49.5, 3.7, 49.7))
    after = laureate_points(con, geometry, [2024]).geometry["59368"]
    assert shapely.box(2.97, 50.55, 3.17, 50.75).contains(before)
    assert shapely.box(3.5, 49.5, 3.7, 49.7).contains(after)
