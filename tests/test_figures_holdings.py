"""What we hold of the palmarès, drawn: on the hand-made palmarès of test_continuity with its
published totals and two rows missing, the bars are the published totals and the rows held,
the level grid's cells the share held, and one edition's bars its levels; the exports."""

from __future__ import annotations

import duckdb
import matplotlib.pyplot as plt
import numpy as np
import pytest
from PIL import Image
from test_continuity import EDITIONS, make_palmares

from pipeline.analysis import coverage
from pipeline.report.figures import holdings, style

#: B's 3 @ of 2005 and C's 1 @ of 2011 are published but not held.
MISSING = {("T0002", 2005), ("T0003", 2011)}


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture
def con(tmp_path):
    path = make_palmares(tmp_path / "held.duckdb", totals=True, drop=MISSING)
    with duckdb.connect(str(path), read_only=True) as con:
        yield con


def heights(patches) -> list[float]:
    return [round(patch.get_height(), 6) for patch in patches]


def test_each_edition_shows_its_published_total_and_the_rows_held(con):
    cov = coverage.coverage_model(con)
    whole = cov[cov["scope"] == "all"].sort_values("edition")
    figure = holdings.coverage_figure(cov)
    totals, levels = figure.axes[:2]
    published, held = totals.patches[: len(EDITIONS)], totals.patches[len(EDITIONS) :]
    assert heights(published) == whole["published"].astype(float).tolist()
    assert heights(held) == whole["held"].astype(float).tolist()
    # 2005: A, B, D and E published, B not held; 2011: C missing
    assert heights(published)[0] - heights(held)[0] == 1
    assert heights(published)[5] - heights(held)[5] == 1
    shares = [t.get_text() for t in totals.texts]
    assert shares[0] == "75,0\u00a0%" and shares[1] == "100,0\u00a0%"
    assert [tick.get_text() for tick in levels.get_xticklabels()] == [str(e) for e in EDITIONS]


def test_the_level_grid_is_the_share_held_of_each_published_count(con):
    cov = coverage.coverage_model(con)
    figure = holdings.coverage_figure(cov)
    levels = figure.axes[1]
    (image,) = levels.images
    grid = np.ma.filled(image.get_array(), np.nan)
    rows = list(holdings.LEVEL_ROWS)
    for scope, row in zip(rows, grid, strict=True):
        for edition, value in zip(EDITIONS, row, strict=True):
            cell = cov[(cov["scope"] == scope) & (cov["edition"] == edition)]
            if cell.empty or cell["share_pct"].isna().all():  # no count, or 0 published
                assert np.isnan(value), (scope, edition)
            else:
                assert value == pytest.approx(float(cell["share_pct"].iloc[0])), (scope, edition)
    # B's 3 @ of 2005 is the only 3 @ published that year: none held
    assert grid[rows.index("3@"), 0] == 0
    assert "0/1" in [t.get_text() for t in levels.texts]
    # the mention ended in 2011: no cell after it
    assert np.isnan(grid[rows.index("mention"), EDITIONS.index(2011) :]).all()


def test_an_edition_s_levels_held_against_published(con):
    cov = coverage.coverage_model(con)
    figure = holdings.levels_figure(cov, 2005)
    (axis,) = figure.axes
    outlined = [p.get_width() for p in axis.patches if p.get_height() == pytest.approx(0.8)]
    held = [p.get_width() for p in axis.patches if p.get_height() == pytest.approx(0.5)]
    # 2005, top down: whole list, 5 @ (A), 4 @, 3 @ (B, not held), 2 @ (E), 1 @, mention (D),
    # then the rows held without a level (none)
    assert outlined == [4, 1, 0, 1, 1, 0, 1]
    assert held == [3, 1, 0, 0, 1, 0, 1, 0]
    labels = [tick.get_text() for tick in axis.get_yticklabels()]
    assert labels[0] == "Liste entière" and labels[-1] == style.UNKNOWN_LEVEL_LABEL
    words = [t.get_text().strip() for t in axis.texts]
    assert words[0] == "3 sur 4"  # the whole list
    assert "0 sur 1" in words  # B's 3 @


def test_exports_for_print(con, tmp_path):
    figure = holdings.palmares_coverage(con, tmp_path / "figures")
    written = sorted(path.name for path in (tmp_path / "figures").iterdir())
    assert written == [f"{holdings.STEM}{suffix}" for suffix in (".pdf", ".png", ".svg")]
    with Image.open(tmp_path / "figures" / f"{holdings.STEM}.png") as image:
        assert image.info["dpi"] == pytest.approx((300, 300), abs=0.1)
        assert image.info["Title"] == holdings.TITLE
        assert image.size[0] == pytest.approx(figure.get_figwidth() * 300, abs=2)
    assert (tmp_path / "figures" / f"{holdings.STEM}.pdf").read_bytes().startswith(b"%PDF")
    svg = (tmp_path / "figures" / f"{holdings.STEM}.svg").read_text("utf-8")
    assert "<svg" in svg and holdings.TITLE in svg


def test_the_index_shows_the_coverage_figure_and_lists_the_print_files(con, tmp_path):
    from test_site import PROVENANCE

    from pipeline.report import site

    holdings.palmares_coverage(con, tmp_path / "figures")
    plt.close("all")
    (link,) = site.figure_links(tmp_path)
    assert (link.title, link.href) == (holdings.TITLE, f"figures/{holdings.STEM}.png")
    assert [name for name, _ in link.formats] == ["PNG", "SVG", "PDF"]
    index = site.write_index(tmp_path, [], [], PROVENANCE, figures=[link]).read_text("utf-8")
    assert f'<img src="figures/{holdings.STEM}.png"' in index
    assert f'<a href="figures/{holdings.STEM}.pdf">PDF</a>' in index
