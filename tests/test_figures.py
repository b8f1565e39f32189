"""The pages' figures and what a notebook cell calls to show them, on hand-made data: the
collectivity's levels, the régions' illectronism scatter, which maps each page draws and where
it saves them, figures closed once shown, titled tables, the edition page's heading."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from conftest import TINY_BUILD_INFO, TINY_SOURCES, tiny_tables
from PIL import Image

from pipeline.analysis import edition_page
from pipeline.analysis.collectivity import Card
from pipeline.analysis.illectronism_label import REGION_HEADERS, Rates
from pipeline.build.warehouse import build_warehouse, connect_read_only
from pipeline.report import maps
from pipeline.report.figures import collectivity, geography, illectronism, notebook
from pipeline.report.tables import markdown_text

HOSTILE_NAME = "Saint-$x$ <b>"  # "$" would start matplotlib's mathtext


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def texts(figure) -> list[str]:
    return [text.get_text() for text in figure.findobj(plt.Text)]


def test_levels_by_edition_dots_the_published_levels():
    card = Card(
        code="38185",
        name=HOSTILE_NAME,
        heading="",
        history=pd.DataFrame(),
        claims=pd.DataFrame(),
        set_aside=pd.DataFrame(),
        levels=pd.DataFrame(
            {"edition": [2008, 2021, 2024], "arobases": pd.array([5, None, 0], dtype="Int64")}
        ),
        axis_years=(2008, 2024),
        source="",
    )
    figure = collectivity.levels_by_edition(card)
    axis = figure.axes[0]
    published, unstated = axis.lines
    assert (list(published.get_xdata()), list(published.get_ydata())) == ([2008, 2024], [5, 0])
    assert list(unstated.get_xdata()) == [2021]
    assert unstated.get_ydata()[0] > 5  # above 5 @: labelled, level not published
    assert axis.get_xlim() == (2007.5, 2024.5)
    assert [tick.get_text() for tick in axis.get_yticklabels()][::5] == ["mention", "5 @"]
    assert axis.get_title() == f"{HOSTILE_NAME} : niveaux connus par édition (palmarès partiel)"
    figure.canvas.draw()  # the name is drawn as written, not parsed as mathtext


@pytest.fixture
def regions() -> Rates:
    frame = pd.DataFrame(
        {
            "code": ["94", "11"],
            "geography_name": ["Corse", HOSTILE_NAME],
            "value": [25.0, 12.0],
            "is_second_hand": [False, True],
            "laureates": [0.0, 30.0],
            "population_share_pct": [0.0, 17.5],
        }
    )
    caption = "Illectronisme : INSEE, illectronism_rate, 2019, définition 2019 (15+, modelled)."
    return Rates(frame, REGION_HEADERS, caption, 2019, "2019")


def test_regions_scatter_puts_the_label_beside_illectronism(regions, tmp_path):
    out = tmp_path / "maps" / "illectronisme_regions.png"
    figure = illectronism.regions_scatter(regions, out)
    axis = figure.axes[0]
    assert axis.collections[0].get_offsets().tolist() == [[25.0, 0.0], [12.0, 17.5]]
    assert {"Corse", HOSTILE_NAME} <= set(texts(figure))
    assert axis.get_xlabel() == "Illectronisme 2019, définition 2019 (%)"
    assert "Population couverte" in axis.get_ylabel()
    assert regions.caption in texts(figure)  # definition, population and sources
    figure.canvas.draw()
    ticks = [tick.get_text() for tick in axis.get_yticklabels()]
    assert any("," in tick for tick in ticks) and not any("." in tick for tick in ticks)
    with Image.open(out) as image:
        assert image.info["Title"] == illectronism.TITLE  # the site lists maps by title
    assert list(out.parent.iterdir()) == [out]  # written atomically, nothing left beside


@pytest.fixture
def drawn(monkeypatch):
    """The maps the pages ask for, recorded instead of drawn (maps are tested in test_maps)."""
    calls = []

    def record(name):
        def draw(*args, **kwargs):
            calls.append((name, args, kwargs))
            return plt.figure()

        return draw

    for name in ("edition_map", "edition_small_multiples", "plot_departements"):
        monkeypatch.setattr(maps, name, record(name))
    return calls


def test_the_geography_page_maps_and_their_files(drawn, tmp_path):
    figures = geography.label_maps(None, "cache", [2021, 2022, 2024], "departement", tmp_path)
    assert len(figures) == 2
    geography.recent_regions(None, "cache", list(range(2011, 2027)), tmp_path)
    (_, first, one), (_, second, two), (_, recent, _) = drawn
    assert first[3:] == (
        "departement",
        tmp_path / "geographie_departement_laureates_éditions 2021, 2022 et 2024.png",
    )
    assert one == {"variable": "laureates", "idf_inset": True}
    assert second[4].name.startswith("geographie_departement_population_share_")
    assert two == {"variable": "population_share", "idf_inset": True}
    assert recent[2:] == (
        list(range(2021, 2027)),
        "region",
        tmp_path / "geographie_regions_éditions 2021 à 2026.png",
    )
    geography.label_maps(None, "cache", [2024], "region", tmp_path)
    assert drawn[-1][2]["idf_inset"] is False  # no Île-de-France zoom on a map of régions


def test_the_edition_page_maps_and_their_files(drawn, tmp_path):
    geography.edition_maps(None, "cache", 2024, tmp_path)
    assert [call[1][2:] for call in drawn] == [
        (2024, "departement", tmp_path / "edition_2024_departements.png"),
        (2024, "commune", tmp_path / "edition_2024_communes.png"),
    ]


def test_the_overview_map_counts_communes_with_its_sources(drawn, tmp_paths, monkeypatch):
    monkeypatch.setattr(geography.geometry, "read_cached_layer", lambda where, level: level)
    build_warehouse(tmp_paths, tiny_tables(), TINY_SOURCES, TINY_BUILD_INFO)
    with connect_read_only(tmp_paths) as con:
        geography.communes_map(con, "cache", tmp_paths.root)
    ((_, (layer, values), options),) = drawn
    assert layer == "departement" and values.to_dict() == {"59": 2, "971": 1}
    assert options["out"] == tmp_paths.root / "communes_par_departement.png"
    assert options["caption"].startswith("Sources : INSEE, COG 2026 (decoupage-administratif) ;")


@pytest.fixture
def shown(monkeypatch) -> list:
    outputs = []
    monkeypatch.setattr(notebook, "display", outputs.append)
    return outputs


def test_show_displays_then_closes(shown):
    figures = [plt.figure(), plt.figure()]
    notebook.show(*figures)
    assert shown == figures and not plt.get_fignums()


def test_show_tables_titles_each_table_and_says_when_one_is_empty(shown):
    full = pd.DataFrame({"n": [3]})
    full.attrs.update(title="Niveaux", headers={"n": "Lauréats"}, source="Source : test.")
    empty = pd.DataFrame({"n": []})
    empty.attrs.update(title="TEN")
    notebook.show_tables(full, empty, empty="Aucune dans nos données.")
    heading, table, empty_heading, said = shown
    assert (heading.data, empty_heading.data) == ("### Niveaux", "### TEN")
    assert ">Lauréats<" in table.to_html() and said.data == "Aucune dans nos données."


def test_edition_heading_and_departements_held():
    departements = pd.DataFrame(
        {"code": ["59", "62", "80"], "laureates": [2, 0, 0], "previous_laureates": [0, 1, 0]}
    )
    departements.attrs.update(title="Par département", note="Total publié : *241*.")
    held = edition_page.held_departements(departements)
    assert held["code"].tolist() == ["59", "62"]
    assert held.attrs["title"] == ("Par département (départements ayant au moins un lauréat connu)")
    assert departements.attrs["title"] == "Par département"  # the pack's table is unchanged
    tables = {"levels": departements}
    assert edition_page.heading(tables, 2024) == (
        f"# Édition 2024 du label\n\n{markdown_text('Total publié : *241*.')}"
    )


def test_a_figure_laid_out_by_tight_layout_is_drawn_once_per_file_with_the_same_pixels(tmp_path):
    """`tight_layout` leaves a placeholder layout engine that made every savefig draw the
    figure twice; `layout.save` draws it once, and the PNG is what the double draw gave."""
    from pipeline.report.maps import layout

    def laid_out():
        figure, axis = plt.subplots(figsize=(4, 3))
        axis.plot([2019, 2020, 2021], [3, 4, 5], "o")
        axis.set_title(HOSTILE_NAME, parse_math=False)
        figure.tight_layout()
        return figure

    twice = laid_out()
    twice.savefig(tmp_path / "twice.png", dpi=100, facecolor="white", metadata={"Title": "t"})
    once = laid_out()
    draws = []
    once.canvas.mpl_connect("draw_event", draws.append)
    layout.save(once, tmp_path / "once.png", "t", 100)
    layout.save(once, tmp_path / "once.svg", "t", 100)
    assert len(draws) == 2  # one per file
    with Image.open(tmp_path / "twice.png") as a, Image.open(tmp_path / "once.png") as b:
        assert a.tobytes() == b.tobytes()


@pytest.mark.parametrize("suffix", [".png", ".svg", ".pdf"])
def test_the_same_figure_is_written_as_the_same_bytes(tmp_path, suffix):
    """No date nor random id in a saved figure: a rerun or a refactor can be compared byte for
    byte (scripts/same_outputs.py)."""
    from pipeline.report.maps import layout

    written = []
    for attempt in range(2):
        figure, axis = plt.subplots(figsize=(3, 2))
        axis.bar([2019, 2020], [3, 4], hatch="//")  # hatches and clip paths get SVG ids
        path = tmp_path / f"{attempt}{suffix}"
        layout.save(figure, path, "Titre", 72)
        written.append(path.read_bytes())
    assert written[0] == written[1]
    assert b"Titre" in written[0]
