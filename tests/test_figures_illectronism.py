"""The label beside illectronism: the definition and scope of the indicator under the title,
and the figure exported for print."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from pipeline.analysis.illectronism_label import REGION_HEADERS, Rates
from pipeline.report.figures import illectronism


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def regions(definition: str) -> Rates:
    frame = pd.DataFrame(
        {
            "code": ["94", "32"],
            "geography_name": ["Corse", "Hauts-de-France"],
            "value": [25.0, 17.0],
            "is_second_hand": [False, False],
            "laureates": [0.0, 30.0],
            "population_share_pct": [0.0, 17.5],
        }
    )
    return Rates(frame, REGION_HEADERS, "Sources : test.", 2019, definition)


def test_the_definition_and_scope_are_under_the_title(tmp_path):
    figure = illectronism.regions_scatter(regions("2019"), figures_dir=tmp_path)
    (axis,) = figure.axes
    (line,) = [t.get_text() for t in axis.texts if "définition INSEE" in t.get_text()]
    assert line.startswith("Illectronisme, définition INSEE 2019 : pas d'usage d'Internet")
    assert "quatre domaines" in line and "Taux modélisés par région" in line
    assert "palmarès partiel" in line
    assert axis.collections[0].get_offsets().tolist() == [[25.0, 0.0], [17.0, 17.5]]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f"{illectronism.STEM}{suffix}" for suffix in (".pdf", ".png", ".svg")
    ]


def test_a_definition_without_words_is_named_only():
    assert illectronism.definition_line(regions("2030")).startswith(
        "Illectronisme, définition INSEE 2030.\n"
    )
