"""A press claim gets one verdict, whichever surface shows it: the `claim` table built with the
warehouse, the collectivity page's table, and the continuity analyses (README, "Press claims").

The case: Lille held at 5 @ in 2014, 2015, 2016 and 2017, and a claim «5 @ pour la 3e fois
consécutive» in 2017. Under the README's reading the third consecutive time implies no 5 @ in
2014, so the rows held contradict the claim.
"""

from __future__ import annotations

import duckdb
import pandas as pd
from conftest import TINY_BUILD_INFO, TINY_SOURCES, tiny_tables

from pipeline.analysis import collectivity, continuity
from pipeline.build.assemble.palmares import check_claims
from pipeline.build.resolve import Resolver
from pipeline.build.sources.claims import read_claim_facts, read_claims
from pipeline.build.warehouse import build_warehouse
from pipeline.paths import Paths

LILLE = "59350"
EDITIONS = [2013, 2014, 2015, 2016, 2017]


def palmares_tables(tmp_path) -> dict[str, pd.DataFrame]:
    tables = tiny_tables()
    columns = list(tables["laureates"].columns)
    tables["laureates"] = pd.DataFrame(
        [
            {column: None for column in columns}
            | {
                "source_file": "tests/hand-made",
                "source_row": row,
                "edition": edition,
                "name": "Lille",
                "arobases": 5,
                "code": LILLE,
                "entity": "commune",
                "resolution_method": "test",
                "resolution_score": 1.0,
            }
            for row, edition in enumerate(EDITIONS[1:], 2)
        ],
        columns=columns,
    ).astype({"arobases": "Int64"})
    edition = pd.DataFrame(
        {column: None for column in tables["edition"].columns}, index=range(len(EDITIONS))
    )
    edition["label_year"], edition["has_mention_level"] = EDITIONS, False
    tables["edition"] = edition
    (tmp_path / "claims.csv").write_text(
        "collectivity_name,department_code,stated_in_year,claim_text,implied_fact,source_url\n"
        "Lille,59,2017,Lille obtient 5 @ pour la 3e fois consécutive,"
        "5@ for the third consecutive time,https://press.example/lille\n",
        encoding="utf-8",
    )
    (tmp_path / "claim_facts.csv").write_text(
        "claim_row,fact,arobases,editions,count,consecutive,up_to,interpreted_by\n"
        "2,count_up_to,5,,3,yes,2017,test\n",
        encoding="utf-8",
    )
    claims = read_claims(tmp_path / "claims.csv")
    facts = read_claim_facts(tmp_path / "claim_facts.csv", set(claims["source_row"]))
    tables["claim"] = check_claims(claims, facts, Resolver(tables), tables["laureates"], EDITIONS)
    tables["claim_fact"] = facts[list(tables["claim_fact"].columns)]
    return tables


def test_the_third_consecutive_time_gets_one_verdict_everywhere(tmp_path):
    tables = palmares_tables(tmp_path)
    (claim,) = tables["claim"].itertuples()
    assert (claim.code, claim.check_status) == (LILLE, "contradicted")
    assert "2014: 5 @ held, not 5 @ implied" in claim.check_detail

    paths = Paths(tmp_path / "root")
    paths.root.mkdir()
    build_warehouse(paths, tables, TINY_SOURCES, TINY_BUILD_INFO)
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        page = collectivity.profile(con, LILLE).claims
        assert page["check"].tolist() == [collectivity.CHECKS["contradicted"]]
        # continuity never uses a contradicted claim...
        facts = continuity.load_claim_facts(con)
        assert facts.empty and facts.attrs["dropped"] == [2]
        with_claims = continuity.build_basis(con, claims=True)
        assert not continuity.continuity_table(with_claims)["uses_claims"].any()
        # ...and, given the fact anyway, finds the same conflict in the same edition
        given = continuity.build_basis(con, claims=tables["claim_fact"].assign(code=LILLE))
        grid = continuity.knowledge_grid(given)
        conflicts = grid[grid["claim_conflict"]]
        assert conflicts[["code", "edition"]].values.tolist() == [[LILLE, 2014]]
        assert continuity.continuity_table(given)["claim_conflicts"].tolist() == [1]
