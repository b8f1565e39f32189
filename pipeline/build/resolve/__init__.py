"""Identity resolution: a collectivity as published → the current commune's INSEE code or the
EPCI's SIREN, with the decision recorded.

This package knows codes, not file formats. Its input is a DataFrame of canonical rows (columns
`edition`, `name`, `departement`, `kind`, `code`, see `Resolver.resolve_rows`), built by the
palmarès readers; its reference is `read_reference(...)` (COG 2026) and, optionally, the human
decision file `data/raw/palmares/overrides.csv` (`load_overrides`).

Order of the decision for one row (the first step that decides wins):

1. override: a human decision of overrides.csv matching (edition, name, département);
2. code: a code given by the file (INSEE code, old codes through `commune_code_map`, SIREN);
3. foreign places and non-collectivities recognised from the name or the département;
4. communes (kind ville/village, or unknown): the normalised name (case, accents, ligatures,
   St/Ste, hyphens, apostrophes: `exact`), the name with or without its article (`article`; a
   name published without article also stands for the name with one), the names of communes
   merged since, delegated or associated communes and former names from the 1943-2019 history
   (`old_name`, only if the name was in force around the edition), typos (`fuzzy`, rapidfuzz,
   thresholds in `thresholds`), then a longer commune name beginning with the published one
   ("Vandoeuvre" → Vandœuvre-lès-Nancy, `short_name`);
5. EPCI (kind territoire, or unknown with a word such as CC, CA, Communauté, Métropole,
   Agglo): the name (`exact`), the name without its legal form ("CA", "Communauté de
   communes", "Métropole"...) or its acronym (`epci_alias`), from 2017 a current EPCI holding
   every word of the name in the given département (`epci_partial`), then typos (`fuzzy`).
   A name that matches both a commune and an EPCI at the same stage is ambiguous.

A name matching several collectivities is never settled by size: the département decides when
it is given, else the row is quarantined "ambiguous" with its candidates. Every quarantined row
carries a reason starting with one of: "ambiguous", "unknown", "foreign", "not a collectivity",
"fuzzy score below threshold", "invalid code", "invalid département", "conflict".

Modules: `normalise` (name keys), `index` (the reference indexed), `match` (the matching
stages), `resolver` (the order of decision), `overrides` (the human decision file),
`thresholds` (each threshold with how it was measured).
"""

from pipeline.build.resolve.normalise import fold, name_keys
from pipeline.build.resolve.overrides import (
    OVERRIDE_COLUMNS,
    OVERRIDE_DECISIONS,
    load_overrides,
    read_overrides,
)
from pipeline.build.resolve.resolver import RESULT_COLUMNS, Resolution, Resolver

__all__ = [
    "OVERRIDE_COLUMNS",
    "OVERRIDE_DECISIONS",
    "RESULT_COLUMNS",
    "Resolution",
    "Resolver",
    "fold",
    "load_overrides",
    "name_keys",
    "read_overrides",
]
