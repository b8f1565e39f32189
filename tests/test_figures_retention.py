"""The continuity page's Kaplan-Meier figure, on a hand-made life table."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from PIL import Image

from pipeline.report.figures.retention import TITLE, survival_figure

#: Five spells, none excluded: survival 4/5 after 2 editions, 2/5 after 4, 1/5 after 6.
SURVIVAL = pd.DataFrame(
    {"duration": [1, 2, 3, 4, 5, 6], "survival": [1.0, 0.8, 0.8, 0.4, 0.4, 0.2]}
)
SURVIVAL.attrs.update(spells=5, excluded=0)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_the_curve_steps_from_everyone_down_to_the_last_survivors():
    figure = survival_figure(SURVIVAL, "Sources : test.")
    (axis,) = figure.axes
    (line,) = axis.get_lines()
    assert list(line.get_xdata()) == [0, 1, 2, 3, 4, 5, 6]
    assert list(line.get_ydata()) == [1, 1.0, 0.8, 0.8, 0.4, 0.4, 0.2]
    assert line.get_drawstyle() == "steps-post"
    assert axis.yaxis.get_major_formatter()(0.8, 0) == "80 %"
    assert "Kaplan-Meier" in axis.get_title()
    (caption,) = figure.texts
    assert caption.get_text() == (
        "5 passages, 0 collectivités sans première édition connue exclues. Sources : test."
    )


def test_the_figure_is_saved_whole_with_its_title(tmp_path):
    out = tmp_path / "maps" / "continuite_survie.png"
    survival_figure(SURVIVAL, "Sources : test.", out)
    with Image.open(out) as image:
        assert image.format == "PNG" and image.info["Title"] == TITLE
    assert [path.name for path in out.parent.iterdir()] == [out.name]  # no temporary left


def test_no_curve_without_a_spell():
    empty = SURVIVAL.iloc[:0].copy()
    empty.attrs.update(spells=0, excluded=155)
    with pytest.raises(ValueError, match="no curve"):
        survival_figure(empty, "Sources : test.")
