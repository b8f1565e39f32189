"""The continuity page's Kaplan-Meier figure on the hand-made complete palmarès of
test_continuity: the curves are the life tables, the bands their Greenwood intervals."""

from __future__ import annotations

import duckdb
import matplotlib.pyplot as plt
import numpy as np
import pytest
from PIL import Image
from test_continuity import ALL_COMPLETE, make_palmares

from pipeline.analysis import continuity
from pipeline.report.figures import retention


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture
def tables(tmp_path):
    with duckdb.connect(str(make_palmares(tmp_path / "hand.duckdb")), read_only=True) as con:
        basis = continuity.build_basis(con, coverage=ALL_COMPLETE)
        yield continuity.retention(basis, pooled=True), continuity.retention(basis)


def test_the_curves_are_the_life_tables(tables):
    pooled, by_cohort = tables
    figure = retention.survival_figure(pooled, "Sources : test.", by_cohort=by_cohort)
    axis = figure.axes[0]
    lines = {line.get_label(): line for line in axis.get_lines()}
    # cohort 2005 (A, B, D, E) and 2011 (C), then all five pooled
    assert list(lines) == ["Cohorte 2005 (4)", "Cohorte 2011 (1)", "Toutes cohortes (5)"]
    everyone = lines["Toutes cohortes (5)"]
    assert list(everyone.get_xdata()) == [0, *range(1, 13)]
    assert np.round(everyone.get_ydata(), 6).tolist()[:7] == [1, 1, 0.8, 0.8, 0.4, 0.4, 0.2]
    assert everyone.get_drawstyle() == "steps-post"
    cohort = by_cohort[by_cohort["cohort"] == 2005]
    assert lines["Cohorte 2005 (4)"].get_ydata()[1:].tolist() == cohort["survival"].tolist()
    assert lines["Cohorte 2011 (1)"].get_ydata().tolist() == [1, 1, 1, 1, 0]
    assert axis.yaxis.get_major_formatter()(0.8, 0) == "80\u00a0%"
    caption = figure.texts[-1].get_text().replace("\n", " ")  # wrapped to the width
    assert caption.startswith("5 passages, 0 collectivités sans première édition connue exclues")
    assert "Greenwood" in caption and "Sources : test. Couverture : éditions complètes" in caption


def test_the_bands_are_the_greenwood_intervals(tables):
    pooled, _ = tables
    figure = retention.survival_figure(pooled, "Sources : test.")
    (band,) = figure.axes[0].collections
    low, high = retention.band(pooled)
    # at 2 editions: 4/5 still labelled, se = 0.8 √(1 / (5 × 4))
    se = 0.8 * np.sqrt(1 / 20)
    assert (low[1], high[1]) == pytest.approx((0.8 - 1.96 * se, min(0.8 + 1.96 * se, 1)), 1e-3)
    vertices = band.get_paths()[0].vertices
    assert vertices[:, 1].min() == pytest.approx(min(low.min(), 1))
    assert vertices[:, 1].max() == pytest.approx(1)


def test_the_figure_is_saved_whole_with_its_title(tables, tmp_path):
    pooled, by_cohort = tables
    out = tmp_path / "maps" / "continuite_survie.png"
    retention.survival_figure(pooled, "Sources : test.", out, by_cohort, tmp_path / "figures")
    with Image.open(out) as image:
        assert image.format == "PNG" and image.info["Title"] == retention.TITLE
    assert [path.name for path in out.parent.iterdir()] == [out.name]  # no temporary left
    assert sorted(p.suffix for p in (tmp_path / "figures").iterdir()) == [".pdf", ".png", ".svg"]


def test_no_curve_without_a_spell(tables):
    pooled, _ = tables
    empty = pooled.iloc[:0].copy()
    empty.attrs.update(spells=0, excluded=155)
    with pytest.raises(ValueError, match="no curve"):
        retention.survival_figure(empty, "Sources : test.")
