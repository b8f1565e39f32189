"""The synthetic palmarès calibrated on the published totals: sizes and level counts as
published, continuity as assumed, flagged synthetic everywhere."""

from __future__ import annotations

import duckdb
import pandas as pd

from pipeline import synthetic


def test_calibrated_palmares_has_the_published_sizes_and_levels(real_warehouse, tmp_path):
    with duckdb.connect(str(real_warehouse.warehouse), read_only=True) as con:
        edition = con.execute("SELECT * FROM edition").df()
    totals, levels = synthetic.published_targets(edition)
    published = edition.set_index("label_year")["total_labelled"].dropna()
    assert all(totals[year] == published[year] for year in published.index)
    assert set(levels) == {2006, 2008, 2011, 2016}  # the editions with every level count published

    result = synthetic.write_synthetic_warehouse(tmp_path / "calibrated.duckdb", calibrated_on=edition,
                                                 root=real_warehouse.root)
    with duckdb.connect(str(result.path), read_only=True) as con:
        laureates = con.execute("SELECT * FROM laureates").df()
        flag = con.execute("SELECT value FROM build_info WHERE key = 'synthetic'").fetchone()
    assert flag == ("true",) and laureates["is_synthetic"].all()
    assert laureates["source_url"].str.startswith("synthetic://").all()
    assert laureates.groupby("edition").size().to_dict() == totals
    for year, counts in levels.items():
        held = laureates[laureates["edition"] == year]["arobases"].value_counts().to_dict()
        assert held == counts, year
    assert (laureates[laureates["edition"] >= 2011]["arobases"] > 0).all()  # no mention since 2011

    by_code = laureates.pivot_table(index="code", columns="edition", values="arobases", aggfunc="first")
    years = list(by_code.columns)
    carried = [(by_code[b].notna() & by_code[a].notna()).sum() / by_code[b].notna().sum()
               for a, b in zip(years, years[1:])]
    assert abs(pd.Series(carried).median() - synthetic.RENEWED) < 0.02  # as assumed
