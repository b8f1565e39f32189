"""Continuity of the label: streaks, transitions, retention and TEN eligibility, honest about
coverage.

Our palmarès is partial. A collectivity missing from an edition we hold only partly is *not
known*, never "not labelled". Every analysis here therefore works on a knowledge grid: for each
collectivity and each edition (the label years of the `edition` table, so 2009 → 2011 is
consecutive), the set of states still possible given what we hold.

The coverage model
------------------
States of a (collectivity, edition) cell: *absent* (not labelled) or labelled at 0 (mention),
1, 2, 3, 4 or 5 @. A cell holds the set of states still possible, as a 7-bit mask (bit 0 =
absent, bit L + 1 = L @); the mention bit exists only in editions with a mention level.

Which lists of an edition are complete is decided once, by `pipeline.analysis.coverage`
(`coverage_model`): scopes `all`, each level, `TEN`; callers may declare their own.

From coverage to cells:
- a resolved row with a stated level → that level (two conflicting levels → either);
  a resolved row without a level → labelled, at any level still possible;
- no row held → every state allowed, except levels whose list is complete in that edition
  (the collectivity is not on it), and *absent only* when the whole edition is complete;
- a collectivity named among the candidates of an ambiguous quarantined row keeps that row's
  possibilities: it may be the one on the list.

Every count is then given as bounds over all palmarès compatible with what we hold: `X_min`
(at least), `X_max` (at most) and `X` itself only when they agree, NULL otherwise. A streak
broken by an edition we hold only partly is "at least N" (`longest_streak_min` = N,
`longest_streak` NULL).

Claims
------
With `claims=True` (the warehouse's `claim_fact` table, read from the project's claim_facts.csv)
or a DataFrame of facts, press claims narrow the cells and counts (`claims.py`): `level_at`,
`count_up_to` (consecutive: L @ at the N editions ending at `up_to` and not L @ at the edition
before; not consecutive: exactly N labels at L @ up to `up_to`), `labelled_since`,
`first_at_level`, `first_participation`. A claim that contradicts the data is ignored for that cell
and counted in `claim_conflicts`; facts of claims whose check is `contradicted` are not used.
Rows narrowed by a claim say so (`uses_claims`, `*` in the trajectory).

Use
---
`build_basis(con, coverage=None, claims=False, ten_published=None)` prepares the coverage, the
claims and the grid once (`basis.py`); every analysis takes that `Basis`:
- `continuity_table`: one row per collectivity (streaks, counts, gaps, trajectory), and
  `knowledge_grid`: the cells (`table.py`);
- `transitions`, `transition_matrix` (per pair of editions or pooled), `transition_counts`
  (`transitions.py`);
- `retention_spells`, `retention` (Kaplan-Meier by cohort of first label year, `retention.py`);
- `ten_eligibility`, `ten_summary`, `ten_check` (the TEN rule under both readings, `ten.py`);
- `continuity_page`: the report page's tables in French (`page.py`).

Every result says what it rests on: `attrs["coverage"]` (the coverage rows, as plain records
so that pandas can still concatenate results; `coverage_of(result)` gives them back as a
frame), `attrs["basis"]` (the same in one line: editions, complete lists, share held of each
published total), `attrs["claims"]`, `attrs["editions"]` and `attrs["synthetic"]`. Results
computed on a synthetic palmarès (benchmarks/synthetic.py) also carry an `is_synthetic` column;
a warehouse mixing synthetic and real rows is refused.
"""

from pipeline.analysis.continuity.basis import Basis, build_basis, coverage_of
from pipeline.analysis.continuity.claims import load_claim_facts
from pipeline.analysis.continuity.page import SURVIVAL_DECIMALS, bounds, continuity_page
from pipeline.analysis.continuity.retention import retention, retention_spells
from pipeline.analysis.continuity.states import mask_token
from pipeline.analysis.continuity.table import continuity_table, knowledge_grid
from pipeline.analysis.continuity.ten import ten_check, ten_eligibility, ten_summary
from pipeline.analysis.continuity.transitions import (
    transition_counts,
    transition_matrix,
    transitions,
)

__all__ = [
    "SURVIVAL_DECIMALS",
    "Basis",
    "bounds",
    "build_basis",
    "continuity_page",
    "continuity_table",
    "coverage_of",
    "knowledge_grid",
    "load_claim_facts",
    "mask_token",
    "retention",
    "retention_spells",
    "ten_check",
    "ten_eligibility",
    "ten_summary",
    "transition_counts",
    "transition_matrix",
    "transitions",
]
