"""Press claims checked against a hand-made palmarès of one collectivity."""

from types import SimpleNamespace

import pandas as pd
import pytest

from pipeline.build.assemble.palmares import held_masks
from pipeline.build.claim_semantics import check
from pipeline.build.sources.claims import read_claim_facts, read_claims
from pipeline.errors import InputError
from pipeline.paths import DEFAULT_ROOT

# One commune's labels as the palmarès holds them: 5 @ in 2015-2017 and 2019, 4 @ in 2018,
# labelled in 2014 without a stated level.
EDITIONS = [*range(1999, 2010), *range(2011, 2027)]  # no label 2010 (README, edition keying)
HELD = pd.DataFrame(
    {
        "edition": [2014, 2015, 2016, 2017, 2018, 2019],
        "arobases": pd.array([None, 5, 5, 5, 4, 5], dtype="Int64"),
    }
)


def fact(kind, arobases=None, editions=(), count=None, consecutive=False, up_to=None):
    return SimpleNamespace(
        fact=kind,
        arobases=arobases,
        editions=list(editions),
        count=count,
        consecutive=consecutive,
        up_to=up_to,
    )


def check_fact(claimed, held, editions):
    return check([claimed], held_masks(held), editions)


@pytest.mark.parametrize(
    ("claimed", "status"),
    [
        (fact("level_at", 5, [2015, 2016]), "consistent"),
        (fact("level_at", 5, [2016, 2018]), "contradicted"),
        (fact("level_at", 5, [2012]), "not_checkable"),
        (fact("level_at", 3, [2014]), "not_checkable"),  # labelled, level not stated: no verdict
        (fact("count_up_to", 5, count=4, up_to=2019), "consistent"),
        (fact("count_up_to", 5, count=3, up_to=2019), "contradicted"),  # four held
        (fact("count_up_to", 5, count=3, consecutive=True, up_to=2017), "consistent"),
        (
            fact("count_up_to", 5, count=3, consecutive=True, up_to=2019),
            "contradicted",
        ),  # 4 @ in 2018
        # «pour la 2e fois consécutive» in 2016: 5 @ in 2015 and 2016, and not in 2014; 2014 is held
        # labelled at an unstated level, which may be below 5 @.
        (fact("count_up_to", 5, count=2, consecutive=True, up_to=2016), "consistent"),
        (fact("count_up_to", 5, count=12, up_to=2009), "contradicted"),  # 11 editions 1999-2009
        (fact("labelled_since", count=6, up_to=2019), "consistent"),  # 2014-2019 all held
        (fact("labelled_since", 5, count=2, up_to=2019), "contradicted"),  # 4 @ in 2018
        (fact("labelled_since", count=3, up_to=2013), "not_checkable"),
        (fact("first_at_level", 5, [2015]), "consistent"),
        (fact("first_at_level", 5, [2016]), "contradicted"),
        (fact("first_participation", editions=[2014]), "consistent"),
        (fact("first_participation", editions=[2015]), "contradicted"),
        (fact("first_participation", editions=[2013]), "not_checkable"),
    ],
)
def test_each_kind_of_fact(claimed, status):
    assert check_fact(claimed, HELD, EDITIONS)[0] == status


def test_the_committed_claim_facts_read_and_point_at_claims():
    directory = DEFAULT_ROOT / "data" / "raw" / "palmares"
    claims = read_claims(directory / "claims.csv")
    facts = read_claim_facts(directory / "claim_facts.csv", set(claims["source_row"]))
    grenoble = claims.set_index("source_row").loc[24]
    assert grenoble["name"] == "Grenoble" and grenoble["stated_in_year"] == 2021
    assert facts.set_index("claim_row").loc[24, "count"] == 13


def test_a_fact_about_no_claim_is_refused(tmp_path):
    path = tmp_path / "claim_facts.csv"
    path.write_text(
        "claim_row,fact,arobases,editions,count,consecutive,up_to,interpreted_by\n"
        "2,level_at,5,2019,,,,me\n99,level_at,5,2019,,,,me\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="row 3: claim_row '99'"):
        read_claim_facts(path, {2})


def test_consecutive_labels_are_counted_in_editions_not_years():
    # Labels at 5 @ in 2008, 2009 and 2011: three consecutive editions, as there is no label 2010.
    held = pd.DataFrame(
        {"edition": [2008, 2009, 2011], "arobases": pd.array([5, 5, 5], dtype="Int64")}
    )
    claimed = fact("count_up_to", 5, count=3, consecutive=True, up_to=2011)
    status, detail = check_fact(claimed, held, EDITIONS)
    assert status == "consistent" and "2008: 5 @, 2009: 5 @, 2011: 5 @" in detail


def test_the_nth_consecutive_time_rules_out_the_edition_before():
    """«5 @ pour la 3e fois consécutive» in 2017 while 5 @ is held for 2014-2017: it would be
    the fourth time, so the claim is contradicted (README, "Press claims")."""
    held = pd.DataFrame(
        {"edition": [2014, 2015, 2016, 2017], "arobases": pd.array([5, 5, 5, 5], dtype="Int64")}
    )
    claimed = fact("count_up_to", 5, count=3, consecutive=True, up_to=2017)
    status, detail = check_fact(claimed, held, EDITIONS)
    assert status == "contradicted" and "2014: 5 @ held, not 5 @ implied" in detail
