"""The French title and description of every published table and column.

The columns themselves, their order and types come from schema.sql (`pipeline.build.schema`)
and, for continuity, from the analysis that computes it: this module only says, in French, what
each means. A column without a text here stops `palmares publish` with the name of the column
to describe, so a column added to schema.sql is never published undocumented.
"""

from __future__ import annotations

#: Columns that mean the same in every table holding them.
_COMMON = {
    "source_file": (
        "Fichier source",
        "Fichier d'où vient la ligne, relatif à la racine du projet "
        "(data/raw/palmares/laureates.csv, ou un export ajouté par « palmares ingest »).",
    ),
    "source_row": (
        "Ligne source",
        "Numéro de la ligne dans le fichier source, tel qu'un tableur l'affiche (en-tête = 1).",
    ),
    "edition": (
        "Édition",
        "Année du label (l'édition est nommée par son année de label ; avant 2011, la "
        "cérémonie avait lieu en fin d'année précédente).",
    ),
    "name": (
        "Nom publié",
        "Nom de la collectivité tel que la source l'écrit (fautes, abréviations et suffixes "
        "compris) ; le nom officiel se lit dans le Code officiel géographique par son code.",
    ),
    "arobases": (
        "Niveau (@)",
        "Nombre d'arobases décerné, de 1 à 5 ; 0 = « mention » (niveau le plus bas avant "
        "2010 environ) ; vide = niveau non indiqué par la source (jamais deviné).",
    ),
    "kind": (
        "Catégorie",
        "Catégorie de candidature : territoire (intercommunalité), ville ou village ; vide si "
        "la source ne le dit pas.",
    ),
    "candidates": (
        "Candidats",
        "Collectivités possibles (code et nom), en liste JSON, quand le nom publié en désigne "
        "plusieurs ; vide ou [] sinon.",
    ),
    "distinction": (
        "Distinction",
        "Distinction décernée en plus du niveau, telle que publiée (« Territoire d'excellence "
        "numérique », mentions thématiques...) ; vide si aucune.",
    ),
    "source_url": (
        "Adresse de la source",
        "Adresse web de la publication qui établit la ligne.",
    ),
    "quote": (
        "Citation",
        "Courte citation de la source à l'appui de la ligne ; le texte entre crochets est une "
        "remarque de la personne qui a transcrit, pas de la source.",
    ),
    "note": (
        "Note",
        "Remarque de la personne qui a transcrit ou vérifié la ligne.",
    ),
}

_EDITION_COUNTS = {
    "total_labelled": (
        "Total labellisé",
        "Nombre de collectivités labellisées publié pour l'édition ; vide si non publié.",
    ),
    **{
        f"n_{level}": (
            f"Nombre de {level} @",
            f"Nombre de collectivités labellisées {level} @ publié ; vide si non publié.",
        )
        for level in (5, 4, 3, 2, 1)
    },
    "n_mention": (
        "Nombre de mentions",
        "Nombre de « mentions » publié (niveau le plus bas avant 2010 environ) ; vide si non "
        "publié.",
    ),
    "n_territoires": (
        "Nombre de territoires",
        "Nombre d'intercommunalités labellisées publié ; vide si non publié.",
    ),
    "n_villes": ("Nombre de villes", "Nombre de villes labellisées publié ; vide si non publié."),
    "n_villages": (
        "Nombre de villages",
        "Nombre de villages labellisés publié ; vide si non publié.",
    ),
    "n_ten": (
        "Nombre de TEN",
        "Nombre de « Territoires d'excellence numérique » décernés, tel que publié (depuis "
        "2021) ; vide si non publié.",
    ),
}


def _bounds(column: str, title: str, what: str) -> dict[str, tuple[str, str]]:
    """The `_min` and `_max` columns of a continuity count."""
    among = "sur tous les palmarès compatibles avec les lignes détenues"
    return {
        f"{column}_min": (f"{title} (au moins)", f"Borne basse {what}, {among}."),
        f"{column}_max": (f"{title} (au plus)", f"Borne haute {what}, {among}."),
    }


TABLES: dict[str, tuple[str, str]] = {
    "laureates": (
        "Lauréats identifiés",
        "Une ligne par ligne du palmarès rattachée à une collectivité : commune (code INSEE, "
        "COG en vigueur) ou intercommunalité (SIREN), avec l'édition, le niveau, la décision "
        "d'identification et la source. Le palmarès rassemblé est partiel : l'absence d'une "
        "collectivité ne signifie pas qu'elle n'a pas été labellisée.",
    ),
    "quarantine": (
        "Lignes mises de côté",
        "Lignes du palmarès qui n'ont pas pu être rattachées à une collectivité, avec la raison "
        "(nom ambigu, inconnu, lieu étranger, pas une collectivité) et les candidats possibles.",
    ),
    "edition": (
        "Éditions du label",
        "Une ligne par année de label : numéro, cérémonie, totaux publiés retenus parmi les "
        "sources selon une règle écrite (voir la table des conflits), distinctions observées.",
    ),
    "edition_conflict": (
        "Conflits entre sources sur les éditions",
        "Valeurs d'une édition sur lesquelles les sources divergent : chaque valeur avec ses "
        "sources, celle retenue et la règle qui l'a fait retenir.",
    ),
    "claim": (
        "Déclarations de continuité",
        "Déclarations de la presse ou des collectivités (« pour la septième fois »...) gardées "
        "comme indices, et ce que le palmarès rassemblé en dit.",
    ),
    "continuity": (
        "Continuité par collectivité",
        "Une ligne par collectivité présente au palmarès : éditions labellisées, première et "
        "dernière édition, séries consécutives, labels 5 @. Une valeur vide signifie que le "
        "palmarès partiel ne permet pas de la connaître ; les colonnes _min et _max en donnent "
        "les bornes. Calculée sans les déclarations de presse.",
    ),
    "illectronism": (
        "Chiffres de l'illectronisme",
        "Chiffres publiés sur l'illectronisme et les usages numériques (INSEE et autres "
        "producteurs) : année, territoire (rattaché au COG en vigueur), ventilation, valeur, "
        "unité, population, définition, source. Ne jamais comparer des définitions ou des "
        "populations différentes sans le dire.",
    ),
}

FIELDS: dict[str, dict[str, tuple[str, str]]] = {
    "laureates": {
        **_COMMON,
        "departement": (
            "Département",
            "Code du département de la collectivité identifiée (COG).",
        ),
        "code": (
            "Code de la collectivité",
            "Code INSEE de la commune (COG en vigueur) ou SIREN de l'intercommunalité.",
        ),
        "entity": (
            "Type de collectivité",
            "commune (code INSEE) ou epci (intercommunalité, SIREN).",
        ),
        "resolution_method": (
            "Méthode d'identification",
            "Comment le nom publié a été rattaché au code : exact (nom exact), old_name (ancien "
            "nom), short_name (nom abrégé), fuzzy (nom approché), epci_alias / epci_partial "
            "(nom d'intercommunalité), override (décision humaine écrite dans "
            "data/raw/palmares/overrides.csv).",
        ),
        "resolution_score": (
            "Score d'identification",
            "Ressemblance entre le nom publié et le nom retenu, de 0 à 100 (100 = identique).",
        ),
        "published_departement": (
            "Département publié",
            "Département tel que la source l'indique, quand elle en donne un.",
        ),
    },
    "quarantine": {
        **_COMMON,
        "departement": (
            "Département publié",
            "Département tel que la source l'indique, quand elle en donne un.",
        ),
        "reason": (
            "Raison",
            "Pourquoi la ligne est mise de côté : ambiguous (plusieurs collectivités possibles), "
            "unknown (aucune trouvée), foreign (lieu étranger), not a collectivity (pas une "
            "collectivité), suivi du détail.",
        ),
    },
    "edition": {
        "label_year": ("Année du label", "Année du label, qui nomme l'édition."),
        "edition_number": (
            "Numéro de l'édition",
            "Rang de l'édition (la 22e édition est celle du label 2021) ; vide si inconnu.",
        ),
        "ceremony_date": (
            "Date de la cérémonie",
            "Date de la cérémonie, aussi précise que la source (2021-02-04, 2005-11, "
            "2019-01-29/30).",
        ),
        "ceremony_place": ("Lieu de la cérémonie", "Lieu de la cérémonie, tel que publié."),
        "has_mention_level": (
            "Niveau « mention »",
            "Vrai si le niveau le plus bas de l'édition était une « mention » (notée 0 @).",
        ),
        **_EDITION_COUNTS,
        "distinctions": (
            "Distinctions",
            "Distinctions observées parmi les lauréats rassemblés de l'édition, en liste JSON.",
        ),
    },
    "edition_conflict": {
        "label_year": ("Année du label", "Édition concernée (année du label)."),
        "measure": (
            "Mesure",
            "Colonne de la table des éditions sur laquelle les sources divergent "
            "(total_labelled, n_5, ceremony_date...).",
        ),
        "value": ("Valeur", "Une des valeurs publiées, en texte."),
        "source_urls": (
            "Sources",
            "Adresses des sources qui donnent cette valeur, en liste JSON.",
        ),
        "is_chosen": (
            "Retenue",
            "Vrai pour la valeur retenue dans la table des éditions.",
        ),
        "rule": (
            "Règle",
            "Règle écrite qui a fait retenir la valeur (sources les plus nombreuses, date la "
            "plus précise...).",
        ),
    },
    "claim": {
        "source_row": (
            "Ligne source",
            "Numéro de la ligne dans data/raw/palmares/claims.csv (en-tête = 1).",
        ),
        "name": _COMMON["name"],
        "departement": (
            "Département publié",
            "Département tel que la source l'indique, quand elle en donne un.",
        ),
        "stated_in_year": (
            "Année de la déclaration",
            "Année où la déclaration a été faite ; vide si inconnue.",
        ),
        "claim_text": ("Déclaration", "La déclaration, citée telle que publiée."),
        "implied_fact": (
            "Fait impliqué",
            "Ce que la déclaration affirme sur le palmarès, tel que noté à la transcription.",
        ),
        "source_url": _COMMON["source_url"],
        "code": (
            "Code de la collectivité",
            "Code INSEE ou SIREN de la collectivité nommée ; vide si le nom n'a pas été identifié.",
        ),
        "check_status": (
            "Vérification",
            "Ce que le palmarès rassemblé dit de la déclaration : consistent (compatible), "
            "contradicted (contredite), not_checkable (invérifiable avec les données "
            "détenues), unresolved (collectivité non identifiée).",
        ),
        "check_detail": ("Détail de la vérification", "Le raisonnement de la vérification."),
    },
    "continuity": {
        "code": (
            "Code de la collectivité",
            "Code INSEE de la commune (COG en vigueur) ou SIREN de l'intercommunalité.",
        ),
        "name": (
            "Nom",
            "Nom de la collectivité dans le Code officiel géographique en vigueur.",
        ),
        "entity": ("Type de collectivité", "commune ou epci (intercommunalité)."),
        "editions_labelled": (
            "Éditions labellisées",
            "Nombre d'éditions où la collectivité a été labellisée ; vide si le palmarès "
            "partiel ne permet pas de le savoir.",
        ),
        **_bounds("editions_labelled", "Éditions labellisées", "du nombre d'éditions labellisées"),
        "first_edition": (
            "Première édition",
            "Première édition labellisée, quand elle est certaine ; vide sinon.",
        ),
        "first_edition_held": (
            "Première édition détenue",
            "Première édition où le palmarès rassemblé la montre labellisée (la vraie "
            "première n'est pas plus tardive).",
        ),
        "last_edition": (
            "Dernière édition",
            "Dernière édition labellisée, quand elle est certaine ; vide sinon.",
        ),
        "last_edition_held": (
            "Dernière édition détenue",
            "Dernière édition où le palmarès rassemblé la montre labellisée (la vraie "
            "dernière n'est pas plus ancienne).",
        ),
        "longest_streak": (
            "Plus longue série",
            "Plus grand nombre d'éditions consécutives labellisées ; vide si incertain.",
        ),
        **_bounds("longest_streak", "Plus longue série", "de la plus longue série"),
        "current_streak": (
            "Série en cours",
            "Éditions consécutives labellisées jusqu'à la dernière édition ; vide si incertain.",
        ),
        **_bounds("current_streak", "Série en cours", "de la série en cours"),
        "longest_streak_5": (
            "Plus longue série à 5 @",
            "Plus grand nombre d'éditions consécutives à 5 @ ; vide si incertain.",
        ),
        **_bounds("longest_streak_5", "Plus longue série à 5 @", "de la plus longue série à 5 @"),
        "labels_5": ("Labels 5 @", "Nombre de labels à 5 @ ; vide si incertain."),
        **_bounds("labels_5", "Labels 5 @", "du nombre de labels à 5 @"),
        "gaps": (
            "Interruptions",
            "Interruptions entre deux labels ; vide si une édition intermédiaire est inconnue.",
        ),
        "gaps_min": (
            "Interruptions (au moins)",
            "Nombre d'interruptions certaines entre deux labels.",
        ),
        "gap_editions": (
            "Éditions sans label",
            "Éditions, séparées par |, où la collectivité n'était certainement pas labellisée, "
            "entre la première et la dernière édition détenues.",
        ),
        "editions_unknown": (
            "Éditions inconnues",
            "Nombre d'éditions où l'on ne peut pas dire si elle était labellisée.",
        ),
        "trajectory": (
            "Trajectoire",
            "Niveaux par édition, par exemple « 2008:5 2009:5 2011:? 2013:- » (m = mention, "
            "? = labellisée sans niveau connu, - = non labellisée ; les éditions absentes sont "
            "inconnues).",
        ),
        "uses_claims": (
            "Utilise des déclarations",
            "Vrai si une déclaration de presse a servi au calcul (jamais dans ce paquet).",
        ),
        "claim_conflicts": (
            "Déclarations contredites",
            "Nombre de déclarations contredites par les données, ignorées.",
        ),
    },
    "illectronism": {
        "source_file": (
            "Fichier source",
            "Fichier d'où vient le chiffre, relatif à la racine du projet.",
        ),
        "source_row": (
            "Ligne source",
            "Ligne dans le fichier source (en-tête = 1) ; pour un JSON, ligne de l'objet.",
        ),
        "year": ("Année", "Année des données (année d'enquête), pas de la publication."),
        "geography_level": (
            "Niveau géographique",
            "Niveau du territoire : country (pays), region, departement, arrondissement, epci, "
            "groupes et autres découpages tels que publiés.",
        ),
        "geography_code": (
            "Code publié du territoire",
            "Code tel que publié (code INSEE, SIREN, FR, FR-METRO...) ; vide si aucun.",
        ),
        "geography_name": ("Nom publié du territoire", "Nom du territoire tel que publié."),
        "code_vintage": (
            "Millésime du code",
            "Année de la géographie à laquelle appartient le code publié.",
        ),
        "current_code": (
            "Code actuel",
            "Région, département, arrondissement ou EPCI du COG en vigueur auquel le chiffre "
            "est rattaché.",
        ),
        "code_joined": (
            "Code rattaché",
            "Vrai si le code actuel a été trouvé ; vide pour les niveaux sans géographie de "
            "référence.",
        ),
        "same_territory": (
            "Même territoire",
            "Vrai seulement si le code actuel couvre exactement le territoire du chiffre.",
        ),
        "join_method": (
            "Méthode de rattachement",
            "Comment le code publié a été suivi jusqu'au COG en vigueur (same_code : même "
            "code ; same_code_changed : même code, territoire changé ; absorbed : absorbé ; "
            "no_code, no_reference_level...).",
        ),
        "join_note": (
            "Note de rattachement",
            "Pourquoi le territoire diffère ou le code n'a pas été rattaché.",
        ),
        "breakdown": (
            "Ventilation",
            "Variable de ventilation : none (ensemble), age, sex, diploma, pcs, "
            "income_quintile, household_type...",
        ),
        "breakdown_value": (
            "Modalité",
            "Modalité de la ventilation ; all quand il n'y a pas de ventilation.",
        ),
        "indicator": ("Indicateur", "Ce que le chiffre mesure (code de l'indicateur)."),
        "value": (
            "Valeur",
            "Le nombre publié (exact ou approché) ; vide pour une borne, un intervalle ou un "
            "chiffre manquant.",
        ),
        "value_kind": (
            "Nature de la valeur",
            "exact, approximate (approché), range (intervalle), below (inférieur à), above "
            "(supérieur à), missing (manquant).",
        ),
        "value_low": ("Borne basse", "Borne basse d'un intervalle ou d'un « plus de »."),
        "value_high": ("Borne haute", "Borne haute d'un intervalle ou d'un « moins de »."),
        "value_published": ("Valeur publiée", "La valeur telle qu'écrite dans la source."),
        "unit": (
            "Unité",
            "Unité de la valeur : percent (pourcentage), persons (personnes), "
            "thousand_persons (milliers), million_persons (millions).",
        ),
        "population_scope": (
            "Population",
            "Population concernée, normalisée (15+ : 15 ans ou plus ; 16-74...).",
        ),
        "population_scope_published": (
            "Population publiée",
            "Population concernée, telle que la source la décrit.",
        ),
        "definition_version": (
            "Définition",
            "Version de la définition de l'illectronisme : 2019 (4 domaines, pas d'usage en 12 "
            "mois), 2021 (5 domaines, 3 mois), 2025 (16-74 ans), ou indicateurs Eurostat ; "
            "vide si l'indicateur ne porte pas sur les compétences.",
        ),
        "estimation": (
            "Estimation",
            "survey (enquête), modelled (modélisé par l'INSEE), not_stated (non précisé).",
        ),
        "producer": ("Producteur", "Organisme qui a produit le chiffre."),
        "publication": (
            "Publication",
            "Publication citée, avec le relais entre crochets quand le chiffre est de seconde "
            "main.",
        ),
        "source_url": _COMMON["source_url"],
        "quote": ("Citation", "Courte citation de la source."),
        "is_second_hand": (
            "De seconde main",
            "Vrai si le chiffre a été lu dans un relais (presse, blog, copie) et non sur la page "
            "du producteur.",
        ),
        "relayed_by": ("Relais", "Le relais, tel que la source le nomme."),
        "note": (
            "Note",
            "Remarque, par exemple les lignes transcrites qu'un téléchargement remplace.",
        ),
    },
}

#: The changelog's table (`changes.csv`), written by `--compare`.
CHANGES = (
    "Modifications depuis le paquet précédent",
    "Une ligne par ligne ajoutée, supprimée ou modifiée depuis le paquet comparé, repérée par "
    "sa clé primaire.",
)
CHANGE_FIELDS = {
    "table": ("Table", "Nom de la ressource concernée (laureates, quarantine...)."),
    "edition": ("Édition", "Année du label de la ligne ; vide pour une table sans édition."),
    "change": ("Changement", "ajoutée, supprimée ou modifiée."),
    "key": ("Clé", "Valeurs de la clé primaire de la ligne, en objet JSON."),
    "columns": ("Colonnes modifiées", "Colonnes dont la valeur a changé, en liste JSON."),
    "before": ("Avant", "Valeurs modifiées ou supprimées, dans l'ancien paquet, en objet JSON."),
    "after": ("Après", "Valeurs ajoutées ou modifiées, dans le nouveau paquet, en objet JSON."),
}
