"""One collectivity's history in the label, for its "look up my commune" page.

Everything the warehouse holds about one INSEE code or SIREN: each palmarès row with its level,
distinction and source; the press claims about it and how they check; the rows set aside that
may be about it (homonyms without a département). Kept light: the page runs once per labelled
collectivity.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from pipeline.analysis import provenance
from pipeline.formatting import format_fr
from pipeline.report.tables import markdown_text

HISTORY_HEADERS = {
    "edition": "Édition",
    "level": "Niveau",
    "name": "Nom publié",
    "distinction": "Distinction",
    "source_url": "Source",
    "quote": "Citation",
}
CLAIM_HEADERS = {
    "stated_in_year": "Année",
    "claim_text": "Affirmation",
    "check": "Vérification",
    "source_url": "Source",
}
SET_ASIDE_HEADERS = {
    "edition": "Édition",
    "name": "Nom publié",
    "level": "Niveau",
    "reason": "Raison",
}
CHECKS = {
    "consistent": "cohérente avec le palmarès",
    "contradicted": "contredite par le palmarès",
    "not_checkable": "invérifiable avec nos données",
    "unresolved": "collectivité non identifiée",
}
#: Why a row was set aside (the prefix of `quarantine.reason`, whose details are English and
#: stay in `palmares export quarantine`), in French.
REASONS = {
    "ambiguous": "homonymes : la source ne dit pas laquelle",
    "conflict": "indications contradictoires (code, nom, département)",
    "unknown": "introuvable dans le référentiel",
    "invalid code": "code invalide",
    "foreign": "hors de France",
    "not a collectivity": "pas une collectivité",
    "fuzzy score below threshold": "nom trop éloigné de ceux du référentiel",
}
OTHER_REASON = "mise de côté (détail dans l'export des lignes mises de côté)"
KINDS = {
    "commune": "commune",
    "delegated": "commune déléguée",
    "associated": "commune associée",
    "arrondissement": "arrondissement municipal",
}


@dataclass
class Card:
    code: str
    name: str
    heading: str  # Markdown: title and one paragraph, the names in it escaped (markdown_text)
    history: pd.DataFrame
    claims: pd.DataFrame
    set_aside: pd.DataFrame
    levels: pd.DataFrame  # edition, arobases (<NA>: labelled, level not published)
    axis_years: tuple[int, int]  # first and last edition on the chart's axis (`chart_years`)
    source: str  # caption of every table


class UnknownCollectivity(ValueError):
    """The code is neither a commune nor an EPCI of the reference."""


#: Editions the chart spans at least, so that one edition is not a lone dot in the middle.
CHART_MIN_YEARS = 8


def chart_years(labelled: list[int], first_label_year: int) -> tuple[int, int]:
    """The chart's axis: the collectivity's own editions, widened to the left to
    `CHART_MIN_YEARS` but never before the label's first year. It depends on no other
    collectivity's rows, so a new edition does not redraw the pages of those absent from it."""
    last = labelled[-1] if labelled else first_label_year
    first = labelled[0] if labelled else first_label_year
    return max(first_label_year, min(first, last - CHART_MIN_YEARS + 1)), last


def level_text(level) -> str:
    if pd.isna(level):
        return "niveau non publié"
    return "mention" if int(level) == 0 else f"{int(level)} @"


def reason_text(reason: str) -> str:
    """Why a row was set aside, in French (`REASONS`)."""
    return REASONS.get(str(reason).split(":", 1)[0].strip(), OTHER_REASON)


def profile(con: duckdb.DuckDBPyConnection, code: str) -> Card:
    """What the warehouse holds about the commune or EPCI `code`."""
    commune = con.execute(
        """SELECT c.name, c.commune_kind, c.departement_code, d.name, c.population, e.name
           FROM commune c JOIN departement d USING (departement_code)
           LEFT JOIN epci_member m USING (commune_code) LEFT JOIN epci e USING (epci_siren)
           WHERE c.commune_code = ? ORDER BY c.commune_kind = 'commune' DESC LIMIT 1""",
        [code],
    ).fetchone()
    epci = con.execute(
        "SELECT name, epci_kind, population FROM epci WHERE epci_siren = ?", [code]
    ).fetchone()
    if commune is None and epci is None:
        raise UnknownCollectivity(
            f"{code!r} is neither a commune (INSEE code) nor an EPCI (SIREN) of the reference"
        )
    if commune is not None:
        name, kind, dep_code, dep_name, population, epci_name = commune
        where = f"{KINDS.get(kind, kind)} ({dep_name}, {dep_code}), code INSEE {code}"
        where += f", {format_fr(population)} habitants" if pd.notna(population) else ""
        where += f", membre de : {epci_name}" if epci_name else ""
    else:
        name, kind, population = epci
        where = f"intercommunalité ({kind}), SIREN {code}, {format_fr(population)} habitants"
    history = con.execute(
        """SELECT edition, arobases, name, distinction, source_url, quote
           FROM laureates WHERE code = ? ORDER BY edition, source_row""",
        [code],
    ).df()
    levels = history[["edition", "arobases"]].astype({"arobases": "Int64"})
    history.insert(1, "level", history.pop("arobases").map(level_text))
    history = history.fillna({"distinction": "", "quote": "", "source_url": ""})
    claims = con.execute(
        """SELECT stated_in_year, claim_text, check_status, source_url FROM claim
           WHERE code = ? ORDER BY stated_in_year, source_row""",
        [code],
    ).df()
    claims.insert(2, "check", claims.pop("check_status").map(CHECKS))
    set_aside = con.execute(
        """SELECT edition, name, arobases, reason FROM quarantine
           WHERE list_contains(list_transform(candidates, lambda c: split_part(c, ' ', 1)), ?)
           ORDER BY edition""",
        [code],
    ).df()  # candidates read "33281 Mérignac (33)"
    set_aside.insert(2, "level", set_aside.pop("arobases").map(level_text))
    set_aside["reason"] = set_aside["reason"].map(reason_text)
    labelled = sorted(set(history["edition"]))
    summary = (
        f"Labellisée dans **{len(labelled)}** édition(s) de nos données"
        + (f" ({labelled[0]}–{labelled[-1]})" if labelled else "")
        + (
            f", meilleur niveau connu : {level_text(levels['arobases'].max())}"
            if levels["arobases"].notna().any()
            else ""
        )
        + "."
    )
    cog = provenance.cog_vintage(con)
    where = markdown_text(where[0].upper() + where[1:])
    return Card(
        code=code,
        name=name,
        heading=f"# {markdown_text(name)}\n\n{where}.\n\n{summary}",
        history=history.astype({"edition": str}),
        claims=claims.astype({"stated_in_year": str}),
        set_aside=set_aside.astype({"edition": str}),
        levels=levels,
        axis_years=chart_years(labelled, provenance.editions(con)[0]),
        source=(
            "Sources : palmarès rassemblé par le projet (data/raw/palmares, la source de chaque "
            f"ligne est citée) ; INSEE, COG {cog}."
        ),
    )
