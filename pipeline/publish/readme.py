"""The package's README.md, in French: the tables, how complete the palmarès is per edition, the
licences and sources, the COG vintage, how to open the CSV safely and how to cite.

Coverage is `checks.coverage` (the one coverage of `palmares check` and the reports), the COG
vintage `provenance.cog_vintage`. Only counts, codes of our own and texts of the manifests reach
the README, never a collectivity's name; every text read from the warehouse goes through
`markdown_text`, so it shows literally and never as markup.
"""

from __future__ import annotations

import duckdb

from pipeline.analysis import checks, provenance
from pipeline.analysis.coverage import STATUS_NAMES
from pipeline.formatting import format_fr
from pipeline.publish import licences
from pipeline.report.tables import markdown_text

TYPE_NAMES = {
    "string": "texte",
    "integer": "entier",
    "number": "nombre",
    "boolean": "booléen (true / false)",
    "array": "liste (JSON)",
    "object": "objet (JSON)",
    "date": "date (AAAA-MM-JJ)",
}


def render(con: duckdb.DuckDBPyConnection, descriptor: dict, written: list, changes) -> str:
    """The whole README."""
    build = dict(con.execute("SELECT key, value FROM build_info").fetchall())
    cog = provenance.cog_vintage(con)
    sections = [
        _introduction(descriptor, build, cog),
        _files(descriptor, written),
        _coverage(con),
        _tables(descriptor),
        _licences(descriptor, written),
        _sources(written),
        _formats(written),
        _citation(descriptor, build, cog),
    ]
    if changes is not None:
        sections.append(
            "## Modifications\n\nCe qui a changé depuis le paquet précédent est résumé dans "
            "`CHANGELOG.md` et détaillé ligne par ligne dans `changes.csv`.\n"
        )
    return "\n".join(sections)


def _built(build: dict) -> str:
    """When and from which commit the warehouse was built (build_info, written by the build
    itself, not read from an input file)."""
    return f"{build.get('built_at', '(date inconnue)')}, commit {build.get('git_commit', '?')}"


def _cell(text: str) -> str:
    """One of our own texts in a Markdown table cell: a "|" would end the cell."""
    return text.replace("|", "\\|")


def _introduction(descriptor: dict, build: dict, cog: str) -> str:
    return (
        f"# {descriptor['title']}\n\n"
        "Le palmarès du label décerné chaque année depuis 1999 par l'association Villes "
        "Internet, rassemblé ligne à ligne à partir de sources publiques (chaque ligne nomme sa "
        "source et la cite) et rattaché aux codes officiels : code INSEE des communes, SIREN "
        "des intercommunalités. **Il est partiel** : une collectivité absente d'une édition "
        "n'est pas une collectivité non labellisée, seulement une ligne que nous ne détenons "
        "pas (voir « Complétude par édition »).\n\n"
        f"- Version du paquet : {descriptor['version']}\n"
        f"- Construit le : {_built(build)}\n"
        f"- Géographie : Code officiel géographique (COG) {cog}\n"
        "- Description complète des colonnes (titres, types, clés) : `datapackage.json` "
        "(Frictionless Data Package, Table Schema)\n"
    )


def _files(descriptor: dict, written: list) -> str:
    lines = [
        "## Fichiers\n",
        "Chaque table est publiée deux fois, avec le même schéma : en CSV et en Parquet.\n",
        "| Table | Fichiers | Lignes | Contenu |",
        "|---|---|---:|---|",
    ]
    by_name = {resource["name"]: resource for resource in descriptor["resources"]}
    for w in written:
        resource = by_name[f"{w.table.name}-csv"]
        title = resource["title"].removesuffix(" (CSV)")
        lines.append(
            f"| {title} | `{w.table.name}.csv`, `{w.table.name}.parquet` | "
            f"{format_fr(w.rows)} | {_cell(resource['description'])} |"
        )
    return "\n".join(lines) + "\n"


def _coverage(con: duckdb.DuckDBPyConnection) -> str:
    """Coverage per edition, as `palmares check` computes it."""
    wide = checks.coverage(con)
    headers = {**checks.COVERAGE_HEADERS, "status": "État de la liste"}
    lines = [
        "## Complétude par édition\n",
        "Lignes détenues = collectivités identifiées + lignes mises de côté avec une raison, "
        "rapportées au total de lauréats publié pour l'édition (le plus souvent par "
        "l'association ou la presse ; valeur retenue selon la règle décrite dans la table des "
        "conflits). " + checks.complete_editions_sentence(con) + "\n",
        "| " + " | ".join(headers.values()) + " |",
        "|---|" + "---:|" * (len(headers) - 2) + "---|",
    ]
    for row in wide.to_dict("records"):
        cells = [str(int(row["edition"]))]
        for column in list(headers)[1:-1]:
            value = row[column]
            cells.append(format_fr(value, 1 if column == "share_pct" else 0))
        cells.append(STATUS_NAMES.get(row["status"], markdown_text(row["status"])))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _tables(descriptor: dict) -> str:
    parts = ["## Les tables et leurs colonnes\n"]
    for resource in descriptor["resources"]:
        if not resource["name"].endswith("-csv"):
            continue
        schema = resource["schema"]
        parts.append(f"### {resource['title'].removesuffix(' (CSV)')}\n")
        parts.append(resource["description"] + "\n")
        key = ", ".join(f"`{name}`" for name in schema.get("primaryKey", []))
        if key:
            parts.append(f"Clé primaire : {key}.")
        for fk in schema.get("foreignKeys", []):
            target = fk["reference"]["resource"].removesuffix("-csv")
            parts.append(
                f"Clé étrangère : {', '.join(f'`{c}`' for c in fk['fields'])} → table "
                f"`{target}` ({', '.join(f'`{c}`' for c in fk['reference']['fields'])})."
            )
        parts += ["", "| Colonne | Titre | Type | Description |", "|---|---|---|---|"]
        for field in schema["fields"]:
            kind = TYPE_NAMES.get(field["type"], field["type"])
            parts.append(
                f"| `{field['name']}` | {_cell(field['title'])} | {kind} | "
                f"{_cell(field['description'])} |"
            )
        parts.append("")
    return "\n".join(parts)


def _licences(descriptor: dict, written: list) -> str:
    lines = [
        "## Licences\n",
        "Chaque table porte les licences de ce dont elle est faite, telles que les manifestes "
        "des données brutes (`data/raw/*/manifest.json`) les indiquent ; aucune n'est supposée.\n",
        "| Table | Licences |",
        "|---|---|",
    ]
    for w in written:
        names = _cell("; ".join(licence["title"] for licence in licences.licences_of(w.sources)))
        lines.append(f"| `{w.table.name}` | {names} |")
    lines += [
        "",
        "**Licence non spécifiée** : les lignes du palmarès, des éditions et des déclarations "
        "sont des transcriptions de sources publiques (faits et courtes citations, chaque ligne "
        "nommant sa source) ; les manifestes n'indiquent pour elles aucune licence. Le paquet "
        "ne leur en attribue donc aucune : leur réutilisation relève du droit de courte "
        "citation et des conditions de chaque source. Les codes géographiques viennent du COG "
        "(Etalab / INSEE) sous Licence Ouverte 2.0 ; les décisions des mainteneurs "
        "(identifications manuelles) sont sous licence MIT.\n",
    ]
    return "\n".join(lines)


def _sources(written: list) -> str:
    lines = [
        "## Sources\n",
        "Les fichiers bruts dont le paquet est fait, avec leur licence telle qu'écrite dans "
        "leur manifeste (empreinte SHA-256 abrégée) :\n",
    ]
    seen: dict[str, dict] = {}
    for w in written:
        for source in w.sources:
            seen.setdefault(source["path"], source)
    for source in seen.values():
        lines.append(
            f"- {markdown_text(source['path'])} ({markdown_text(source['sha256'][:12])}) : "
            f"{markdown_text(source['title'])}. Producteur : {markdown_text(source['producer'])}. "
            f"Licence indiquée : {markdown_text(source['licence'])}. "
            f"Adresse : {markdown_text(source['url'])}. "
            f"Consulté le {markdown_text(source['retrieved_date'])}."
        )
    return "\n".join(lines) + "\n"


def _formats(written: list) -> str:
    risky = [
        f"- `{w.table.name}`, colonne `{column}` : {format_fr(n)} cellule{'s' if n > 1 else ''}"
        for w in written
        for column, n in w.formula_cells.items()
    ]
    found = (
        "Dans ce paquet, ces cellules commencent par un tel caractère :\n\n" + "\n".join(risky)
        if risky
        else "Dans ce paquet, aucune cellule de texte ne commence par un tel caractère."
    )
    return (
        "## Formats, et ouverture dans un tableur\n\n"
        "- CSV : UTF-8, virgule, une ligne d'en-tête (noms des colonnes), guillemets doubles "
        "autour des valeurs qui en ont besoin ; cellule vide = valeur absente.\n"
        "- Parquet : les mêmes lignes, dans le même ordre (clé primaire), typées.\n"
        '- Les listes sont écrites en JSON (`["59350", "59368"]`) dans les deux formats ; '
        "les booléens `true` / `false` ; les nombres avec un point décimal.\n\n"
        "**Formules.** Les CSV sont les données exactes : un texte publié qui commence par "
        "`=`, `+`, `-` ou `@` y reste tel quel, sans apostrophe ajoutée, pour que toute "
        "réutilisation lise la valeur publiée. Un tableur qui ouvre le CSV directement peut "
        "prendre une telle cellule pour une formule. Pour l'ouvrir sans risque, importez-le en "
        "déclarant les colonnes de texte comme « Texte » (LibreOffice : Fichier > Ouvrir, "
        "type de colonne ; Excel : Données > À partir d'un fichier texte/CSV), ou lisez le "
        "Parquet. " + found + "\n"
    )


def _citation(descriptor: dict, build: dict, cog: str) -> str:
    return (
        "## Citer ces données\n\n"
        f"> Contributeurs du projet, {descriptor['title']}, paquet de données ouvertes, "
        f"version {descriptor['version']}, construit le {_built(build)}, d'après les sources "
        "publiques citées à chaque ligne. Géographie : Etalab / INSEE, Code officiel "
        f"géographique {cog}, via @etalab/decoupage-administratif.\n\n"
        "Citez aussi la source de chaque ligne reprise (colonne `source_url`).\n"
    )
