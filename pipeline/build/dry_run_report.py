"""The report of `palmares ingest --dry-run`, in French, for the association's staff.

Plain text for a terminal or a file. Every value comes from `dry_run.DryRun` (read from the
warehouses by the project's checks); this module only chooses and words. Text from the files
(names, sources, reasons quoting names) is hostile: control and invisible formatting
characters are shown escaped (`plain`), never sent to the terminal as they are.
"""

from __future__ import annotations

from collections import Counter

import pandas as pd

from pipeline.analysis.collectivity import CHECKS, level_text, reason_text
from pipeline.analysis.coverage import STATUS_NAMES
from pipeline.build.dry_run import DryRun
from pipeline.build.sources.palmares import source_path
from pipeline.formatting import format_fr, format_percent_fr, plain
from pipeline.paths import Paths

#: How a row was identified (`laureates.resolution_method`), in French.
METHODS = {
    "override": "décision enregistrée (overrides.csv)",
    "code": "code INSEE ou SIREN donné par le fichier",
    "exact": "nom exact",
    "article": "nom avec ou sans son article",
    "old_name": "ancien nom (fusion, renommage)",
    "short_name": "début d'un nom plus long",
    "fuzzy": "nom approchant (faute de frappe)",
    "epci_alias": "nom d'intercommunalité sans sa forme juridique, ou sigle",
    "epci_partial": "intercommunalité contenant tous les mots du nom",
}
#: Methods whose match a person should confirm.
TO_CHECK = {"article", "old_name", "short_name", "fuzzy", "epci_alias", "epci_partial"}
#: What to do about a row set aside, by the prefix of its reason.
ACTIONS = {
    "ambiguous": "indiquer le département (ou le code INSEE / SIREN) de la collectivité",
    "unknown": "vérifier le nom, ou indiquer le code INSEE (commune) ou SIREN (intercommunalité)",
    "fuzzy score below threshold": "vérifier l'orthographe du nom, ou indiquer le code INSEE",
    "foreign": "rien, si la collectivité est bien hors de France : la ligne est gardée",
    "not a collectivity": "rien, si ce n'est pas une collectivité : la ligne est gardée",
    "conflict": "corriger le code ou le département : ils ne vont pas avec le nom",
    "invalid code": "corriger le code (INSEE : 5 caractères, SIREN : 9 chiffres)",
}
OUTCOMES = {
    "added": "fichier nouveau",
    "replaced": "remplacerait le fichier déjà importé sous ce nom",
    "unchanged": "identique au fichier déjà importé : rien ne changerait",
}
#: The levels of `checks.coverage` (columns held_5 ... held_mention), as readers name them.
LEVELS = (
    ("5 @", "5"),
    ("4 @", "4"),
    ("3 @", "3"),
    ("2 @", "2"),
    ("1 @", "1"),
    ("mention", "mention"),
)
#: What identifies a row of a file, to compare two versions of it.
ROW_KEY = ["edition", "name", "departement", "arobases", "kind", "distinction"]


def render(result: DryRun, paths: Paths) -> str:
    """The whole report: rows read, identified, set aside, contradicting, and coverage."""
    sections = [
        _header(result, paths),
        _rows_read(result),
        _resolved(result),
        _set_aside(result),
        [
            "4. LIGNES QUI REMPLACERAIENT OU CONTREDIRAIENT DES LIGNES DÉTENUES",
            *_replaced(result),
            *_contradictions(result),
            *_claims(result),
            *_edition_conflicts(result),
        ],
        _coverage(result),
    ]
    return "\n\n".join("\n".join(lines) for lines in sections if lines) + "\n"


def _header(result: DryRun, paths: Paths) -> list[str]:
    before = (
        "l'entrepôt manquait ou était en retard sur data/raw : « avant » est ce que donne "
        "data/raw aujourd'hui (reconstruit dans une copie jetable)"
        if result.before_rebuilt
        else f"« avant » est l'entrepôt actuel ({paths.warehouse}), à jour de data/raw"
    )
    declared = [
        f"« {plain(name)} » : éditions {', '.join(map(str, declaration['editions']))} "
        f"déclarées complètes par {plain(declaration['by'])} ({declaration['on']})."
        for name, declaration in result.declared.items()
    ]
    return [
        "ESSAI À BLANC de `palmares ingest` : rien n'a été écrit, data/raw et l'entrepôt sont "
        "inchangés.",
        f"Comparaison avec ce que le projet détient : {before}.",
        *declared,
        "Pour importer pour de bon : la même commande sans --dry-run.",
    ]


def _where(result: DryRun, source_file: str, row) -> str:
    path = source_path(source_file)
    name = result.sources.get(path)
    file = f"« {plain(name)} »" if name is not None else plain(path)
    place = source_file[len(path) + 1 :].replace("=", " ").replace(";", ", ")
    return f"{file}{f', {plain(place)}' if place else ''}, ligne {int(row)}"


def _rows_read(result: DryRun) -> list[str]:
    lines = ["1. LIGNES LUES", "Ce que la lecture a compris de chaque fichier :"]
    lines += [f"  {line}" for reading in result.readings for line in reading.lines()]
    lines.append("Ce que deviendraient les lignes lues :")
    accounting = result.after.accounting.set_index("source_file")
    for source, name in result.sources.items():
        counts = accounting.loc[source]
        aside = {
            column.split(": ", 1)[1]: int(counts[column])
            for column in accounting.columns
            if column.startswith("quarantined: ") and counts[column]
        }
        total = sum(aside.values())
        detail = " ; ".join(f"{format_fr(n)} — {reason_text(r)}" for r, n in aside.items())
        lines.append(
            f"- « {plain(name)} » : {format_fr(counts['read'])} lignes lues, "
            f"{format_fr(counts.get('resolved', 0))} identifiées, {format_fr(total)} mises de "
            f"côté{f' ({detail})' if detail else ''} — {OUTCOMES[result.outcome[name]]}"
        )
    return lines


def _items(value) -> list:
    """A list column's cell (an array, or None when empty) as a list."""
    return [] if value is None or (isinstance(value, float) and pd.isna(value)) else list(value)


def _candidate_of(row) -> str:
    """The reference's "code name (département)" of the collectivity a row resolved to."""
    chosen = [c for c in _items(row.candidates) if str(c).startswith(f"{row.code} ")]
    return plain(chosen[0]) if chosen else plain(row.code)


def _resolved(result: DryRun) -> list[str]:
    rows = result.after.laureates
    lines = [f"2. LIGNES QUI SERAIENT IDENTIFIÉES : {format_fr(len(rows))}, par méthode"]
    for method, count in Counter(rows["resolution_method"]).most_common():
        lines.append(f"- {METHODS.get(method, plain(method))} : {format_fr(count)}")
    check = rows[rows["resolution_method"].isin(TO_CHECK)]
    if len(check):
        lines.append("À vérifier (identifiées par rapprochement, pas par le nom exact) :")
        for row in check.itertuples(index=False):
            lines.append(
                f"  {_where(result, row.source_file, row.source_row)} : « {plain(row.name)} » "
                f"({row.edition}, {level_text(row.arobases)}) → {_candidate_of(row)} — "
                f"{METHODS.get(row.resolution_method, plain(row.resolution_method))}"
            )
    return lines


def _set_aside(result: DryRun) -> list[str]:
    rows, others = result.after.quarantine, result.after.quarantine_others
    lines = [f"3. LIGNES QUI SERAIENT MISES DE CÔTÉ : {format_fr(len(rows))}"]
    for row in rows.itertuples(index=False):
        prefix = str(row.reason).split(":", 1)[0].strip()
        departement = f", dép. {plain(row.departement)}" if plain(row.departement) else ""
        candidates = " ; ".join(plain(c) for c in _items(row.candidates))
        lines += [
            f"- {_where(result, row.source_file, row.source_row)} : « {plain(row.name)} »"
            f"{departement} ({row.edition}, {level_text(row.arobases)})",
            f"    raison : {reason_text(row.reason)}",
            f"    détail : {plain(row.reason)}",
            f"    candidats : {candidates or 'aucun'}",
            f"    à faire : {ACTIONS.get(prefix, 'lire le détail')}",
        ]
        twins = others[(others["edition"] == row.edition) & (others["name"] == row.name)]
        if len(twins):
            places = ", ".join(
                _where(result, twin.source_file, twin.source_row)
                for twin in twins.itertuples(index=False)
            )
            lines.append(
                f"    déjà mise de côté sous ce nom et cette édition : {places} ; "
                "les deux lignes compteraient dans la couverture"
            )
    return lines


def _replaced(result: DryRun) -> list[str]:
    """For a file already ingested under its name: the rows the new version drops or adds."""
    lines = []
    for source, name in result.sources.items():
        if result.outcome[name] != "replaced":
            continue
        old, new = (_file_rows(holdings, source) for holdings in (result.before, result.after))
        gone, added = Counter(old) - Counter(new), Counter(new) - Counter(old)
        lines.append(
            f"Fichier déjà importé sous ce nom : « {plain(name)} » remplacerait la version "
            f"importée ({format_fr(len(old))} lignes → {format_fr(len(new))}) :"
        )
        lines += [f"  retirée : {_row_text(key)}" for key in sorted(gone.elements(), key=str)]
        lines += [f"  ajoutée : {_row_text(key)}" for key in sorted(added.elements(), key=str)]
    return lines


def _file_rows(holdings, source: str) -> list[tuple]:
    frames = [
        frame.loc[frame["source_file"] == source, ROW_KEY]
        for frame in (holdings.laureates, holdings.quarantine)
    ]
    rows = pd.concat(frames, ignore_index=True).astype(object)
    return [tuple(None if pd.isna(v) else v for v in row) for row in rows.itertuples(index=False)]


def _row_text(key: tuple) -> str:
    edition, name, departement, arobases, _, _ = key
    where = f", dép. {plain(departement)}" if departement else ""
    return f"« {plain(name)} »{where} ({edition}, {level_text(arobases)})"


def _contradictions(result: DryRun) -> list[str]:
    """Same collectivity and edition at another level (`checks.level_conflicts`), then the
    rows that only repeat a row held (`checks.duplicates`)."""
    conflicts = result.after.level_conflicts
    mine = conflicts[conflicts["source_file"].isin(list(result.sources))]
    keys = mine[["edition", "code"]].drop_duplicates()
    lines = [
        f"Même collectivité, même édition, autre niveau : {format_fr(len(keys))} collectivité(s)"
    ]
    for key in keys.itertuples(index=False):
        group = conflicts[(conflicts["edition"] == key.edition) & (conflicts["code"] == key.code)]
        lines.append(f"- {key.edition}, {plain(group['name'].iloc[0])} (code {plain(key.code)}) :")
        for row in group.itertuples(index=False):
            whose = "ce fichier" if row.source_file in result.sources else "détenue"
            source = plain(row.source_url) or "aucune source donnée"
            where = _where(result, row.source_file, row.source_row)
            lines.append(f"    {level_text(row.arobases)} — {where} ({whose}) — source : {source}")
    if len(keys):
        lines.append(
            "  à faire : vérifier le niveau ; les deux lignes seraient gardées, le conflit signalé."
        )
    repeats = result.after.duplicates
    in_conflict = set(zip(keys["edition"], keys["code"], strict=True))
    repeated = [
        row
        for row in repeats.itertuples(index=False)
        if (row.edition, row.code) not in in_conflict
        and any(place.rsplit(":", 1)[0] in result.sources for place in row.places)
    ]
    if repeated:
        lines.append(
            f"Lignes qui confirment des lignes détenues (même collectivité, même édition, pas "
            f"d'autre niveau) : {format_fr(len(repeated))}"
        )
        for row in repeated:
            places = ", ".join(_place(result, place) for place in row.places)
            lines.append(f"  {row.edition}, {plain(row.name)} : {places}")
    return lines


def _place(result: DryRun, place: str) -> str:
    source, row = place.rsplit(":", 1)
    return _where(result, source, row)


def _claims(result: DryRun) -> list[str]:
    before = result.before.claims.set_index("source_row")
    after = result.after.claims.set_index("source_row")
    changed = [
        row
        for row in after.itertuples()
        if row.Index not in before.index
        or before.loc[row.Index, "check_status"] != row.check_status
    ]
    if not changed:
        return []
    lines = ["Déclarations de presse (claims.csv) dont la vérification changerait :"]
    for row in changed:
        was = before.loc[row.Index, "check_status"] if row.Index in before.index else None
        lines.append(
            f"  ligne {row.Index}, {plain(row.name)} ({row.stated_in_year}) : "
            f"{CHECKS.get(was, '–')} → {CHECKS.get(row.check_status, plain(row.check_status))}"
            f" ({plain(row.check_detail)})"
        )
    return lines


def _edition_conflicts(result: DryRun) -> list[str]:
    key = ["label_year", "measure", "value", "is_chosen"]
    before, after = (
        {tuple(r) for r in holdings.edition_conflicts[key].itertuples(index=False)}
        for holdings in (result.before, result.after)
    )
    if before == after:
        return []
    lines = [
        "Désaccords entre sources sur les totaux publiés (edition_conflict) qui changeraient :"
    ]
    for sign, rows in (("+", after - before), ("−", before - after)):
        lines += [f"  {sign} {y}, {m} = {plain(v)}" for y, m, v, _ in sorted(rows, key=str)]
    return lines


def _coverage(result: DryRun) -> list[str]:
    """Each edition the files touch or whose coverage would change, before → after."""
    before = result.before.coverage.set_index("edition")
    after = result.after.coverage.set_index("edition")
    touched = set(result.after.laureates["edition"]) | set(result.after.quarantine["edition"])
    touched |= set(result.before.laureates["edition"]) | set(result.before.quarantine["edition"])
    changed = {
        edition
        for edition in after.index.union(before.index)
        if edition not in before.index
        or edition not in after.index
        or not before.loc[edition].equals(after.loc[edition])
    }
    lines = ["5. COUVERTURE DES ÉDITIONS (avant → après ; détenues = identifiées + mises de côté)"]
    for edition in sorted(touched | changed):
        was = before.loc[edition] if edition in before.index else None
        now = after.loc[edition] if edition in after.index else None
        lines.append(f"- {int(edition)} : {_coverage_text(was, now)}")
        levels = [
            f"{scope} {_pair(was, now, f'held_{column}')}"
            for scope, column in LEVELS
            if _value(was, f"held_{column}") != _value(now, f"held_{column}")
        ]
        if levels:
            lines.append(f"    par niveau : {' ; '.join(levels)}")
    return lines


def _value(row, column):
    if row is None or pd.isna(row[column]):
        return None
    return row[column]


def _pair(was, now, column: str, percent: bool = False) -> str:
    text = format_percent_fr if percent else format_fr
    return f"{text(_value(was, column))} → {text(_value(now, column))}"


def _coverage_text(was, now) -> str:
    published = _value(now if now is not None else was, "published")
    total = (
        f"sur {format_fr(published)} publiées ({_pair(was, now, 'share_pct', percent=True)})"
        if published is not None
        else "(total non publié)"
    )
    status = " → ".join(
        STATUS_NAMES.get(row["status"], plain(row["status"])) if row is not None else "–"
        for row in (was, now)
    )
    return (
        f"{_pair(was, now, 'held')} lignes détenues {total}, dont identifiées "
        f"{_pair(was, now, 'resolved')}, mises de côté {_pair(was, now, 'quarantined')} ; "
        f"état de la liste : {status}"
    )
