"""The thresholds of the resolver, each with the measurement it was set on.

Set on benchmarks/resolve_benchmark.py (100,000 real commune names with realistic variations,
seed 2026; figures in benchmarks/README.md). A wrong code is worse than a quarantined row (a
person settles the latter in overrides.csv), so each value is where errors stop falling, not
where resolutions peak.
"""

from __future__ import annotations

from rapidfuzz import fuzz

#: Typos inside the given département (about 400 communes): the best score of `DEPT_SCORERS`.
#: Measured on the 8,950 benchmark names with a département that reach the fuzzy stage, with
#: the margin below: 80 → 8,735 resolved / 8 wrong; 82 → 8,448 / 7; 85 → 8,015 / 7;
#: 90 → 6,441 / 5. Below 80 the best candidate is as often wrong as right.
FUZZY_MIN_SCORE = 82.0

#: Inside a département, the best commune must lead the next one by this many points, else the
#: row is quarantined as ambiguous ("Saint-Martin" against "Saint-Martin-de-X" and
#: "Saint-Martin-du-Y" both score 90). At 82: margin 0 → 35 wrong, 3 → 7, 5 → 6 (-90 resolved).
FUZZY_MIN_MARGIN = 3.0

#: Inside a département a name is scored by the best of: the plain ratio (typos), the ratio
#: of its sorted words × 0.95 (words in another order) and the token-set ratio × 0.9 (whole
#: words of one name inside the other: "Charenton" in Charenton-le-Pont, "Frontignan-la-Peyrade"
#: holding Frontignan: 90). Not rapidfuzz's WRatio, whose character-level partial match gives
#: 90 to any name inside a longer one ("Gbavon" → Avon, "Métigsy" → Y): with WRatio the same
#: 82 / 3 setting gives 33 wrong instead of 7.
DEPT_SCORERS = ((fuzz.ratio, 1.0), (fuzz.token_sort_ratio, 0.95), (fuzz.token_set_ratio, 0.9))

#: Typos with no département: plain rapidfuzz ratio over every current commune of France (no
#: partial matching nationally). The best must reach this score AND lead every other commune
#: by FUZZY_NO_DEPT_MARGIN ("unique and far above the runner-up"), AND the name must be long
#: enough (below). Measured on the 5,694 benchmark names without département reaching the
#: fuzzy stage: 88 / 8 → 3,468 resolved / 32 wrong; 90 / 8 → 3,233 / 7; 90 / 10 → 2,960 / 4;
#: 92 / 8 → 2,851 / 3; 90 / 8 on names of 7+ characters → 3,008 / 0 (chosen).
FUZZY_NO_DEPT_MIN_SCORE = 90.0
FUZZY_NO_DEPT_MARGIN = 8.0
#: France has thousands of 4-6 letter village names one letter apart (Rouy, Roupy, Roucy,
#: Rosey): shorter published names (without article) are not fuzzy-matched without département.
FUZZY_NO_DEPT_MIN_LENGTH = 7

#: EPCI typos: plain ratio on the name without its legal form, inside the département when
#: given (1,255 EPCI, too few for a benchmark of their own; set on laureates.csv):
#: "erdre et gesvre" → "erdre et gesvres" scores 97 and resolves, while a merged or renamed
#: intercommunality ("CC de Parthenay" against CC de Parthenay-Gâtine, 72; "Caux Vallée de
#: Seine" against CA Caux Seine Agglo, 74) stays below and is quarantined for a human decision.
EPCI_FUZZY_MIN_SCORE = 90.0
EPCI_FUZZY_MARGIN = 5.0

#: The current EPCI map dates from 1 January 2017 (loi NOTRe mergers). From that edition on, a
#: shortened EPCI name ("Communauté d'agglomération de Lisieux", 2024) may stand for the
#: current EPCI whose name contains all its words ("CA Lisieux Normandie") when the legal form
#: is the same and the département is given and holds only that one (`epci_partial`); before
#: 2017 such a name is more likely a dissolved EPCI ("CC de Parthenay", 2006, merged into CC de
#: Parthenay-Gâtine in 2014) and is left to a human decision.
EPCI_MAP_YEAR = 2017

#: Short forms: the published name must be at least this long to stand for a longer commune
#: name ("Vandoeuvre"; "Aix" is too short and too common anyway).
SHORT_NAME_MIN_LENGTH = 5

#: At most this many candidates are kept for the audit trail.
MAX_CANDIDATES = 5

#: The label exists since 1999: a name that disappeared before this year cannot be a laureate.
FIRST_EDITION = 1999
