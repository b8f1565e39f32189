"""Name normalisation: the keys under which a published name and a reference name meet.

Folding (case, accents, ligatures, St/Ste, hyphens, apostrophes), articles, a commune name's
short form, an EPCI name without its legal form, and a published département read as COG
codes. Pure functions of the text: the indexes and the resolver key on them alike.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import pandas as pd

from pipeline.build.resolve.thresholds import SHORT_NAME_MIN_LENGTH

_CHAR_MAP = str.maketrans(
    {
        "œ": "oe",
        "Œ": "OE",
        "æ": "ae",
        "Æ": "AE",
        "ß": "ss",
        "’": "'",
        "‘": "'",
        "ʼ": "'",
        "`": "'",
        "´": "'",
        "‐": "-",
        "‑": "-",
        "‒": "-",
        "–": "-",
        "—": "-",
        "―": "-",
    }
)
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
#: Abbreviations read as the full word (tokens, after folding).
_TOKEN_MAP = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes", "lez": "les"}
#: Leading articles of commune names (INSEE TNCC 2-8), as folded tokens ("L'" gives "l").
_ARTICLES = frozenset({"le", "la", "les", "l", "aux", "las", "los"})
#: Words joining a commune name to its qualifier ("Vandœuvre-lès-Nancy", "Ivry-sur-Seine").
_CONNECTORS = frozenset(
    {"les", "sur", "sous", "en", "de", "du", "des", "d", "la", "le", "l", "aux", "au", "et", "pres"}
)
#: An article after the name: "Madeleine (La)", "Madeleine, La".
TRAILING_ARTICLE = re.compile(
    r"^(?P<name>.+?)\s*"
    r"(?:\(\s*(?P<a1>la|le|les|l'|l’|aux)\s*\)|,\s*(?P<a2>la|le|les|l'|l’|aux))\s*$",
    re.IGNORECASE,
)
PARENTHESIS = re.compile(r"^(?P<name>.*?)\s*\((?P<inner>[^()]*)\)\s*$")

#: Places outside France that appear beside names ("Bromont (Québec)"), folded. A published
#: département or parenthesis equal to one of them makes the row foreign. Extend as needed.
FOREIGN_PLACES = frozenset(
    {
        "quebec",
        "canada",
        "belgique",
        "belgium",
        "wallonie",
        "suisse",
        "switzerland",
        "luxembourg",
        "allemagne",
        "germany",
        "italie",
        "espagne",
        "portugal",
        "royaume uni",
        "senegal",
        "mali",
        "maroc",
        "tunisie",
        "algerie",
        "cote d ivoire",
        "cameroun",
        "burkina faso",
        "niger",
        "benin",
        "togo",
        "gabon",
        "madagascar",
        "haiti",
        "liban",
        "etats unis",
        "usa",
        "monaco",
        "andorre",
    }
)
#: Leading words of names that are not communes or EPCI (the label's candidates).
NOT_COLLECTIVITY_PREFIXES = (
    "association ",
    "asso ",
    "societe ",
    "entreprise ",
    "office de tourisme",
    "conseil general",
    "conseil departemental",
    "conseil regional",
)


def fold(text: str) -> str:
    """Lower-case ASCII words separated by one space: accents, ligatures, case, hyphens,
    apostrophes and punctuation folded; St/Ste read as Saint/Sainte, lez as les.

    >>> fold("Marcq-en-Barœul") == fold("MARCQ EN BAROEUL")
    True
    """
    text = unicodedata.normalize("NFKD", text.translate(_CHAR_MAP))
    text = text.encode("ascii", "ignore").decode("ascii").lower()
    return " ".join(_TOKEN_MAP.get(tok, tok) for tok in _NON_ALNUM.split(text) if tok)


def name_keys(name: str) -> tuple[str, str]:
    """(full key, key without a leading article) of a name; "Madeleine (La)" = "La Madeleine"."""
    trailing = TRAILING_ARTICLE.match(name)
    if trailing:
        name = f"{trailing['a1'] or trailing['a2']} {trailing['name']}"
    full = fold(name)
    head, _, rest = full.partition(" ")
    return full, (rest if head in _ARTICLES and rest else full)


def short_key(base: str) -> str | None:
    """A commune name's part before its first connector: "vandoeuvre les nancy" → "vandoeuvre"."""
    tokens = base.split(" ")
    for i, tok in enumerate(tokens[1:], start=1):
        if tok in _CONNECTORS:
            short = " ".join(tokens[:i])
            return short if len(short) >= SHORT_NAME_MIN_LENGTH else None
    return None


# --- EPCI names --------------------------------------------------------------------------------

#: Legal forms at the start of an EPCI name (folded), with the EPCI kind they state.
_EPCI_PREFIXES = (
    ("communaute d agglomeration", "CA"),
    ("communaute d agglo", "CA"),
    ("communaute de communes", "CC"),
    ("communaute de commune", "CC"),
    ("communaute urbaine", "CU"),
    ("metropole europeenne", "ME"),
    ("eurometropole", "ME"),
    ("metropole", "ME"),
    ("agglomeration", "CA"),
    ("agglo", "CA"),
    ("ca", "CA"),
    ("cc", "CC"),
    ("cu", "CU"),
    ("communaute", None),
)
#: Legal forms at the end of an EPCI name ("Metz Métropole", "Caux Seine Agglo").
_EPCI_SUFFIXES = (
    ("metropole", "ME"),
    ("agglomeration", "CA"),
    ("agglo", "CA"),
    ("communaute", None),
)
#: Words that mark a name as an intercommunality's.
_EPCI_MARKERS = frozenset(
    {
        "cc",
        "ca",
        "cu",
        "communaute",
        "metropole",
        "eurometropole",
        "agglomeration",
        "agglo",
        "agglopole",
        "intercom",
        "intercommunalite",
    }
)
_LEADING_LINKS = ("de la ", "de l ", "des ", "du ", "de ", "d ")


def epci_core(name: str) -> tuple[str, str | None, str | None]:
    """(core, kind, acronym) of an EPCI name: the folded name without its legal form.

    "Communauté d'Agglomération du Centre Littoral" → ("centre littoral", "CA", None);
    "CC du Pays Mornantais (COPAMO)" → ("pays mornantais", "CC", "copamo").
    """
    acronym = None
    paren = PARENTHESIS.match(name)
    if paren and paren["name"]:
        name, acronym = paren["name"], fold(paren["inner"]) or None
    key = fold(name)
    kind = None
    for prefix, prefix_kind in _EPCI_PREFIXES:
        if key.startswith(prefix + " "):
            key, kind = key[len(prefix) + 1 :], prefix_kind
            break
    for link in _LEADING_LINKS:
        if key.startswith(link):
            key = key[len(link) :]
            break
    for suffix, suffix_kind in _EPCI_SUFFIXES:
        if key.endswith(" " + suffix):
            key, kind = key[: -len(suffix) - 1], kind or suffix_kind
            break
    return key, kind, acronym


def has_epci_marker(full_key: str) -> bool:
    """Whether a folded name holds a word only an intercommunality's name has (CC, Agglo...)."""
    return not _EPCI_MARKERS.isdisjoint(full_key.split(" "))


# --- Départements ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Foreign:
    """A département given as a place abroad ("Québec"): the row is foreign, not unknown."""

    place: str


class DeptNormalizer:
    """Published département (code, unpadded code, name, any case) → set of COG codes."""

    def __init__(self, departements: pd.DataFrame):
        table: dict[str, frozenset[str]] = {}
        for code, name in zip(departements["departement_code"], departements["name"]):
            table[code.lower()] = frozenset({code})
            if code.isdigit() and code.startswith("0"):
                table[code[1:]] = frozenset({code})
            table[fold(name)] = frozenset({code})
        corsica = frozenset(c for c in ("2A", "2B") if c.lower() in table)
        if corsica:
            table["20"] = table["corse"] = corsica
        self.table = table

    def normalize(self, value) -> frozenset[str] | Foreign | None:
        """The codes a published département stands for; None if unknown; Foreign if abroad."""
        text = str(value).strip()
        paren = PARENTHESIS.match(text)  # "Calvados (14)", "Nord (59)"
        candidates = [text] + ([paren["inner"], paren["name"]] if paren else [])
        for cand in candidates:
            key = cand.strip().lower()
            if key in self.table:
                return self.table[key]
            folded = fold(cand)
            if folded in self.table:
                return self.table[folded]
            if folded in FOREIGN_PLACES:
                return Foreign(cand.strip())
        return None
