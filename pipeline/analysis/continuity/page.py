"""The continuity page (notebooks/continuity.ipynb) in French, so that the notebook only shows.

Each table shown carries its French headers and caption in `attrs` (`headers`, `source`: what
`pipeline.report.tables.described_table` reads); the tables offered for download are the
analyses' own frames, unchanged (English columns, every bound).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from pipeline.analysis import provenance
from pipeline.analysis.continuity.basis import Basis
from pipeline.analysis.continuity.retention import retention
from pipeline.analysis.continuity.states import french_state
from pipeline.analysis.continuity.table import continuity_table
from pipeline.analysis.continuity.ten import ten_check, ten_summary
from pipeline.analysis.continuity.transitions import transition_counts, transition_matrix
from pipeline.analysis.coverage import describe_coverage
from pipeline.report.tables import markdown_text

#: The TEN list whose laureates the page checks one by one.
TEN_CHECKED = 2021
LOYAL_SHOWN = 25
LOYAL_HEADERS = {
    "name": "Collectivité",
    "code": "Code",
    "editions_labelled_min": "Éditions labellisées (au moins)",
    "first_edition_held": "Première détenue",
    "last_edition_held": "Dernière détenue",
    "longest_streak_min": "Plus longue série (au moins)",
    "labels_5_min": "Labels 5 @ (au moins)",
    "trajectory": "Trajectoire",
}
COUNT_HEADERS = {
    "from_edition": "De",
    "to_edition": "À",
    "entry": "Entrées",
    "return": "Retours",
    "renewal": "Renouvellements",
    "upgrade": "Progressions",
    "downgrade": "Reculs",
    "exit": "Sorties",
    "unknown": "Non déterminables",
}
SURVIVAL_HEADERS = {
    "duration": "Éditions",
    "at_risk": "À risque",
    "events": "Sorties",
    "censored": "Censurés",
    "survival": "Survie",
    "se": "Erreur type",
}
#: Decimals of the survival table's columns, for `described_table`.
SURVIVAL_DECIMALS = {"survival": 3, "se": 3}
SUMMARY_HEADERS = {
    "edition": "Édition",
    "ten_published": "TEN publiés",
    "ten_held": "TEN détenus",
    "ten_list_complete": "Liste complète",
    "laureates_six_5_yes": "Six 5 @ : oui",
    "laureates_six_5_no": "Six 5 @ : non",
    "laureates_six_5_unknown": "Six 5 @ : inconnu",
    "not_on_list_six_5_yes": "Hors liste mais six 5 @",
    "laureates_six_labelled_yes": "Six éditions : oui",
    "laureates_six_labelled_no": "Six éditions : non",
    "laureates_six_labelled_unknown": "Six éditions : inconnu",
    "not_on_list_six_labelled_yes": "Hors liste mais six éditions",
}
CHECK_HEADERS = {
    "name": f"Lauréat TEN {TEN_CHECKED}",
    "labels_5": f"Labels 5 @ jusqu'en {TEN_CHECKED}",
    "six_5": "Six 5 @ ?",
    "labelled": f"Éditions labellisées jusqu'en {TEN_CHECKED}",
    "six_labelled": "Six éditions ?",
    "resolved": "Collectivité",
}
ANSWERS = {"yes": "oui", "no": "non", "unknown": "inconnu"}
MATRIX = "Matrice de transition, toutes paires d'éditions confondues"
NO_CURVE = (
    "**Pas de courbe de fidélité sur nos données** : aucune des {excluded} collectivités "
    "n'a de première édition connue (il faudrait que toutes les éditions précédant son premier "
    "label connu soient complètes dans nos données). La méthode est testée sur un palmarès "
    "complet fabriqué à la main (`tests/test_continuity.py`) ; elle s'appliquera telle quelle aux "
    "exports complets de l'association."
)


@dataclass
class Page:
    """What the continuity notebook shows and writes."""

    heading: str  # Markdown: what the results rest on
    source: str  # the caption of every table and of the figure
    shown: dict[str, pd.DataFrame]  # French tables in the order of the page (`_shown`)
    files: dict[str, dict[str, pd.DataFrame]]  # file group → tables written as computed
    survival: pd.DataFrame  # Kaplan-Meier, all cohorts pooled (empty: no curve)
    no_curve: str | None  # Markdown saying why there is no curve, None when there is one
    figure_name: str  # file name of the curve


def continuity_page(basis: Basis) -> Page:
    """Every table of the page from one basis: the most loyal collectivities, transitions and
    their pooled matrix, retention, and the TEN rule (summary, then each TEN_CHECKED laureate)."""
    claims = basis.facts is not None
    source = (
        "Sources : palmarès rassemblé par le projet (data/raw/palmares) ; totaux publiés par "
        f"Villes Internet et la presse ; INSEE, COG {provenance.cog_vintage(basis.con)}."
        + (" Les affirmations de presse (claims) complètent le palmarès." if claims else "")
    )
    table = continuity_table(basis)
    counts = transition_counts(basis)
    counts = counts[counts.drop(columns=["from_edition", "to_edition"]).sum(axis=1) > 0]
    pooled = transition_matrix(basis, pooled=True)
    survival, by_cohort = retention(basis, pooled=True), retention(basis)
    summary, check = ten_summary(basis), ten_check(basis, TEN_CHECKED)
    detail = " Le détail (éditions connues, éditions encore possibles) est dans le tableau CSV."
    shown = {
        "loyal": _shown(_most_loyal(table), LOYAL_HEADERS, source),
        "transitions": _shown(
            counts.astype({"from_edition": str, "to_edition": str}), COUNT_HEADERS, source
        ),
        "matrix": _shown(_matrix(pooled), {"from_state": "État avant \\ après"}, source, MATRIX),
        "survival": _shown(survival, SURVIVAL_HEADERS, source),
        "ten_summary": _shown(_summary(summary), SUMMARY_HEADERS, source),
        "ten_check": _shown(_check(check), CHECK_HEADERS, source + detail),
    }
    files = {
        "continuite" + ("_avec_claims" if claims else ""): {"collectivites": table},
        "continuite_transitions": {"transitions": counts, "matrice": pooled},
        "continuite_survie": {"par_cohorte": by_cohort, "ensemble": survival},
        "continuite_ten": {"synthese": summary, f"verification_{TEN_CHECKED}": check},
    }
    if survival.empty:
        del files["continuite_survie"]
    basis_line = describe_coverage(basis.coverage, french=True)
    return Page(
        heading=f"**Ce sur quoi reposent ces résultats.** {markdown_text(basis_line)}.",
        source=source,
        shown=shown,
        files=files,
        survival=survival,
        no_curve=NO_CURVE.format(excluded=survival.attrs["excluded"]) if survival.empty else None,
        figure_name=f"continuite_survie{'_claims' if claims else ''}.png",
    )


def bounds(low, high) -> str:
    """A count known between two bounds, in French: '6', '2 à 5', '?' when unknown."""
    return "?" if pd.isna(low) else str(low) if low == high else f"{low} à {high}"


def _shown(
    frame: pd.DataFrame, headers: dict[str, str], caption: str, title: str | None = None
) -> pd.DataFrame:
    """A table as the page shows it: its French headers, caption and title (a heading of its
    own, when given) in `attrs` only."""
    frame = frame.copy()
    frame.attrs = {"headers": headers, "source": caption} | ({"title": title} if title else {})
    return frame


def _most_loyal(table: pd.DataFrame) -> pd.DataFrame:
    top = table.sort_values(
        ["editions_labelled_min", "longest_streak_min", "labels_5_min"], ascending=False
    ).head(LOYAL_SHOWN)
    return top[list(LOYAL_HEADERS)].astype({"first_edition_held": str, "last_edition_held": str})


def _matrix(pooled: pd.DataFrame) -> pd.DataFrame:
    """The pooled transition matrix, states in French: one row per state before."""
    french = pooled.assign(
        from_state=pooled["from_state"].map(french_state),
        to_state=pooled["to_state"].map(french_state),
    )
    return french.pivot_table(
        index="from_state", columns="to_state", values="collectivities", aggfunc="sum", fill_value=0
    ).reset_index()


def _summary(summary: pd.DataFrame) -> pd.DataFrame:
    return summary.astype({"edition": str}).assign(
        ten_list_complete=summary["ten_list_complete"].map({True: "oui", False: "non"})
    )


def _check(check: pd.DataFrame) -> pd.DataFrame:
    """Per TEN laureate: the bounds of both counts and both readings, in French."""
    return pd.DataFrame(
        {
            "name": check["name"],
            "labels_5": [
                bounds(a, b)
                for a, b in zip(check["labels_5_min"], check["labels_5_max"], strict=True)
            ],
            "six_5": check["six_5"].map(ANSWERS),
            "labelled": [
                bounds(a, b)
                for a, b in zip(check["labelled_min"], check["labelled_max"], strict=True)
            ],
            "six_labelled": check["six_labelled"].map(ANSWERS),
            "resolved": check["resolved"].map(
                {True: "identifiée", False: "non identifiée (homonymes)"}
            ),
        }
    )
