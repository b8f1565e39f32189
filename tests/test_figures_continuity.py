"""The continuity figures on the hand-made palmarès of test_continuity: the trajectory cells
are the knowledge grid's states (levels, level not stated, known not labelled, unknown), the
most continuous first; the transition bars are the transition counts."""

from __future__ import annotations

import duckdb
import matplotlib.pyplot as plt
import numpy as np
import pytest
from test_continuity import ALL_COMPLETE, EDITIONS, PALMARES, make_palmares

from pipeline.analysis import continuity
from pipeline.report.figures import trajectories, transitions

#: The five of test_continuity, and one labelled in 2005 and 2006 at levels no source states.
WITH_UNSTATED = PALMARES | {"T0006": ("Testville F", "? ? - - - - - - - - - -")}
L5, L4, L3, L2, L1, M = (3 + level for level in (5, 4, 3, 2, 1, 0))
A = trajectories.ABSENT_STATE


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def basis_of(tmp_path, palmares, coverage):
    path = make_palmares(tmp_path / "hand.duckdb", palmares=palmares)
    con = duckdb.connect(str(path), read_only=True)
    return continuity.build_basis(con, coverage=coverage)


def draw(basis, top=trajectories.TOP):
    grid = continuity.knowledge_grid(basis)
    table = continuity.continuity_table(basis)
    return trajectories.trajectories_figure(grid, table, "Sources : test.", top)


def test_trajectory_cells_are_the_known_states_most_continuous_first(tmp_path):
    figure = draw(basis_of(tmp_path, WITH_UNSTATED, ALL_COMPLETE))
    top, counts = figure.axes[:2]
    (image,) = top.images
    cells = np.asarray(image.get_array())
    names = [label.get_text() for label in top.get_yticklabels()]
    # editions labelled: A 12, B 9, E 6, D 5, C 4, F 2
    assert names == [f"Testville {x}" for x in "ABEDCF"]
    assert cells[0].tolist() == [L5] * 7 + [L4] + [L5] * 4
    assert cells[1].tolist() == [L3, L4, A, A, L5, L5, L5, A, L4, L5, L5, L5]
    assert cells[3].tolist()[:5] == [M, L1, L1, L2, A]
    assert cells[5].tolist() == [trajectories.UNSTATED_STATE] * 2 + [A] * 10
    assert not (cells == trajectories.UNKNOWN_STATE).any()  # every edition complete
    # below: per edition, every collectivity by state; 2005: A 5 @, B 3 @, D mention, E 2 @,
    # F level not stated
    stacked = dict(
        zip(
            trajectories.STACKED,
            np.split(np.array([p.get_height() for p in counts.patches]), len(trajectories.STACKED)),
            strict=True,
        )
    )
    assert {s: int(v[0]) for s, v in stacked.items() if v[0]} == {
        L5: 1,
        L3: 1,
        L2: 1,
        M: 1,
        trajectories.UNSTATED_STATE: 1,
    }
    assert sum(v[-1] for v in stacked.values()) == 3  # 2017: A, B, D labelled


def test_unknown_cells_are_hatched_and_only_the_top_rows_are_drawn(tmp_path):
    figure = draw(basis_of(tmp_path, PALMARES, None), top=3)  # nothing published: unknowns
    top, counts = figure.axes[:2]
    cells = np.asarray(top.images[0].get_array())
    assert cells.shape == (3, len(EDITIONS))
    unknown = cells == trajectories.UNKNOWN_STATE
    # A is held in every edition; B's four gaps and E's six missing editions are unknown
    assert unknown.sum(axis=1).tolist() == [0, 3, 6]
    (hatched,) = top.patches  # one path of squares, hatched in one pass
    assert hatched.get_hatch() == trajectories.style.MISSING_STYLE["hatch"]
    rows, columns = np.indices(cells.shape)
    centres = np.column_stack([columns.ravel(), rows.ravel()])
    inside = hatched.get_path().contains_points(centres).reshape(cells.shape)
    assert (inside == unknown).all()
    assert len(hatched.get_path().vertices) == 5 * unknown.sum()  # a square per unknown cell
    assert "Les 3 plus continues sur 5 collectivités" in top.get_title(loc="left")
    # the counts below are of all five, unknowns included
    heights = np.array([p.get_height() for p in counts.patches]).reshape(
        len(trajectories.STACKED), len(EDITIONS)
    )
    assert heights.sum(axis=0).tolist() == [5.0] * len(EDITIONS)


def test_transition_bars_are_the_counts(tmp_path):
    basis = basis_of(tmp_path, PALMARES, ALL_COMPLETE)
    counts = continuity.transition_counts(basis)
    figure = transitions.transitions_figure(counts, "Sources : test.")
    (axis,) = figure.axes
    kinds = [*transitions.KINDS, "exit"]
    bars = np.array([p.get_height() for p in axis.patches]).reshape(len(kinds), -1)
    shown = counts[counts.drop(columns=["from_edition", "to_edition"]).sum(axis=1) > 0]
    for kind, heights in zip(kinds, bars, strict=True):
        sign = -1 if kind == "exit" else 1
        assert heights.tolist() == (sign * shown[kind]).astype(float).tolist(), kind
    # 2012 → 2013: A 5 → 4 @ (downgrade), B leaves, C 2 → 2 @ (renewal)
    pair = [t.get_text() for t in axis.get_xticklabels()].index("2012→2013")
    assert bars[kinds.index("downgrade"), pair] == 1 and bars[kinds.index("exit"), pair] == -1
    assert bars[kinds.index("unknown")].sum() == 0  # every edition complete
    assert axis.yaxis.get_major_formatter()(-2, 0) == "2"
