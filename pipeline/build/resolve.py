"""Identity resolution: a collectivity as published → the current commune's INSEE code or the
EPCI's SIREN, with the decision recorded.

This module knows codes, not file formats. Its input is a DataFrame of canonical rows (columns
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
   thresholds below), then a longer commune name beginning with the published one
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
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from pipeline.errors import InputError

# --- Thresholds ------------------------------------------------------------------------------
# Set on benchmarks/resolve_benchmark.py (100,000 real commune names with realistic variations,
# seed 2026; figures in benchmarks/README.md). A wrong code is worse than a quarantined row (a
# person settles the latter in overrides.csv), so each value is where errors stop falling, not
# where resolutions peak.

#: Typos inside the given département (about 400 communes): the best score of `_DEPT_SCORERS`.
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
_DEPT_SCORERS = ((fuzz.ratio, 1.0), (fuzz.token_sort_ratio, 0.95), (fuzz.token_set_ratio, 0.9))

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

# --- Normalisation ---------------------------------------------------------------------------

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
_TRAILING_ARTICLE = re.compile(
    r"^(?P<name>.+?)\s*(?:\(\s*(?P<a1>la|le|les|l'|l’|aux)\s*\)|,\s*(?P<a2>la|le|les|l'|l’|aux))\s*$",
    re.IGNORECASE,
)
_PARENTHESIS = re.compile(r"^(?P<name>.*?)\s*\((?P<inner>[^()]*)\)\s*$")

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
    trailing = _TRAILING_ARTICLE.match(name)
    if trailing:
        name = f"{trailing['a1'] or trailing['a2']} {trailing['name']}"
    full = fold(name)
    head, _, rest = full.partition(" ")
    return full, (rest if head in _ARTICLES and rest else full)


def _short_key(base: str) -> str | None:
    """A commune name's part before its first connector: "vandoeuvre les nancy" → "vandoeuvre"."""
    tokens = base.split(" ")
    for i, tok in enumerate(tokens[1:], start=1):
        if tok in _CONNECTORS:
            short = " ".join(tokens[:i])
            return short if len(short) >= SHORT_NAME_MIN_LENGTH else None
    return None


def _dept_of_code(code: str) -> str:
    return code[:3] if code[:2] in ("97", "98") else code[:2]


def _blank(value) -> bool:
    if value is None:
        return True
    try:
        if pd.isna(value):
            return True
    except (TypeError, ValueError):
        return False
    return isinstance(value, str) and not value.strip()


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
    paren = _PARENTHESIS.match(name)
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
    return not _EPCI_MARKERS.isdisjoint(full_key.split(" "))


# --- Results -----------------------------------------------------------------------------------

RESULT_COLUMNS = (
    "status",
    "code",
    "entity",
    "departement_code",
    "method",
    "score",
    "candidates",
    "reason",
)


@dataclass(frozen=True)
class Resolution:
    """The decision for one published collectivity."""

    status: str  # "resolved" | "quarantined"
    code: str | None = None
    entity: str | None = None  # "commune" | "epci"
    departement_code: str | None = None
    method: str | None = None
    score: float | None = None
    candidates: tuple[str, ...] = ()
    reason: str | None = None

    def as_row(self) -> tuple:
        return (
            self.status,
            self.code,
            self.entity,
            self.departement_code,
            self.method,
            self.score,
            list(self.candidates),
            self.reason,
        )


def _quarantine(reason: str, dept: str | None = None, candidates=(), method=None, score=None):
    return Resolution(
        "quarantined",
        departement_code=dept,
        method=method,
        score=score,
        candidates=tuple(candidates)[:MAX_CANDIDATES],
        reason=reason,
    )


@dataclass(frozen=True, slots=True)
class _Entry:
    """One name of a collectivity: the current code it leads to, the name and its département."""

    code: str  # current commune code or EPCI SIREN
    name: str  # the name as in the reference (old name for old entries)
    dept: str  # département of that name (the old commune's for old entries)
    start: int | None = None  # years the name was in force (old names from the history)
    end: int | None = None
    full: str = ""  # name_keys(name)
    base: str = ""

    def valid_for(self, edition: int | None) -> bool:
        """Whether the name could be a laureate's at that edition (ceremony up to a year before)."""
        low = (edition - 1) if edition is not None else FIRST_EDITION - 1
        high = edition if edition is not None else 10_000
        return (self.start is None or self.start <= high) and (self.end is None or self.end >= low)


@dataclass
class _Outcome:
    """What one matching stage found: nothing, one collectivity, or several."""

    entries: list[_Entry] = field(default_factory=list)
    method: str | None = None
    score: float = 100.0
    rank: int = 0  # 0 exact-like stages, 1 fuzzy
    reason: str | None = None  # set when the stage refuses to decide (ambiguous, below threshold)
    others: list[_Entry] = field(default_factory=list)  # runners-up, for the audit trail

    @property
    def found(self) -> bool:
        """One or several collectivities match (a match refused for its low score is not one)."""
        return bool(self.entries) and (self.reason is None or self.reason.startswith("ambiguous"))

    @property
    def codes(self) -> list[str]:
        return list(dict.fromkeys(e.code for e in self.entries))


class _NeedScan(Exception):
    """A national fuzzy scan is needed for this name; resolve_rows batches them."""

    def __init__(self, base: str):
        super().__init__(base)
        self.base = base


# --- Overrides ---------------------------------------------------------------------------------

OVERRIDE_COLUMNS = ("edition", "name", "departement", "code", "decision", "reason", "decided_by")
OVERRIDE_DECISIONS = ("code", "foreign", "not_a_collectivity")


def read_overrides(path: Path | str) -> pd.DataFrame:
    """The human decision file, checked for its format (not yet against the reference).

    UTF-8 (a BOM is accepted), comma-separated, header `OVERRIDE_COLUMNS`. Blank edition or
    département = any. Raises InputError naming the file and the row (1-based, header excluded).
    """
    path = Path(path)
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(path, "missing") from None
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(path, f"cannot be read as UTF-8 CSV: {exc}") from None
    header = [c.strip() for c in raw.columns]
    if header != list(OVERRIDE_COLUMNS):
        raise InputError(path, f"header {header} is not {list(OVERRIDE_COLUMNS)}")
    raw.columns = header
    raw = raw.apply(lambda col: col.str.strip())
    editions = []
    for row, (_, r) in enumerate(raw.iterrows(), start=1):
        if not r["name"]:
            raise InputError(path, "name is empty", row)
        if r["decision"] not in OVERRIDE_DECISIONS:
            raise InputError(
                path,
                f"decision {r['decision']!r} is not one of {', '.join(OVERRIDE_DECISIONS)}",
                row,
            )
        if (r["decision"] == "code") != bool(r["code"]):
            problem = (
                "decision 'code' needs a code"
                if r["decision"] == "code"
                else f"decision {r['decision']!r} must leave code blank"
            )
            raise InputError(path, problem, row)
        if not r["reason"]:
            raise InputError(path, "reason is empty: say why (cite the note or the source)", row)
        if r["edition"] and not re.fullmatch(r"\d{4}", r["edition"]):
            raise InputError(path, f"edition {r['edition']!r} is not a year", row)
        editions.append(int(r["edition"]) if r["edition"] else None)
    out = raw.replace({"": None})
    out["edition"] = pd.array(editions, dtype="Int64")
    out.attrs["path"] = str(path)
    return out


def load_overrides(path: Path | str, reference: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """`read_overrides`, then every code checked against the reference (InputError otherwise)."""
    overrides = read_overrides(path)
    check_overrides(overrides, reference)
    return overrides


def check_overrides(overrides: pd.DataFrame, reference: dict[str, pd.DataFrame]) -> None:
    """Every override code is a current commune code or an EPCI SIREN; départements are known;
    no two rows decide the same (edition, name, département)."""
    path = overrides.attrs.get("path", "overrides")
    current = set(
        reference["commune"].loc[reference["commune"]["commune_kind"] == "commune", "commune_code"]
    )
    sirens = set(reference["epci"]["epci_siren"])
    code_map = dict(
        zip(
            reference["commune_code_map"]["old_code"], reference["commune_code_map"]["commune_code"]
        )
    )
    depts = _DeptNormalizer(reference["departement"])
    seen: dict[tuple, int] = {}
    for row, r in enumerate(overrides.itertuples(index=False), start=1):
        code = r.code
        if code is not None and code not in current and code not in sirens:
            hint = (
                f" (an old commune code: today's commune is {code_map[code]})"
                if code in code_map
                else ""
            )
            raise InputError(
                path, f"code {code} is neither a current commune code nor an EPCI SIREN{hint}", row
            )
        dept = None
        if r.departement is not None:
            dept = depts.normalize(r.departement)
            if dept is None or isinstance(dept, _Foreign):
                raise InputError(path, f"département {r.departement!r} is not known", row)
            dept = tuple(sorted(dept))
        edition = None if pd.isna(r.edition) else int(r.edition)
        key = (edition, name_keys(r.name)[0], dept)
        if key in seen:
            raise InputError(
                path, f"decides the same edition, name and département as row {seen[key]}", row
            )
        seen[key] = row


# --- Départements ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Foreign:
    place: str


class _DeptNormalizer:
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

    def normalize(self, value) -> frozenset[str] | _Foreign | None:
        """The codes a published département stands for; None if unknown; _Foreign if abroad."""
        text = str(value).strip()
        paren = _PARENTHESIS.match(text)  # "Calvados (14)", "Nord (59)"
        candidates = [text] + ([paren["inner"], paren["name"]] if paren else [])
        for cand in candidates:
            key = cand.strip().lower()
            if key in self.table:
                return self.table[key]
            folded = fold(cand)
            if folded in self.table:
                return self.table[folded]
            if folded in FOREIGN_PLACES:
                return _Foreign(cand.strip())
        return None


# --- The resolver ------------------------------------------------------------------------------


class Resolver:
    """Resolves published collectivities against the reference; indexes are built once."""

    def __init__(self, reference: dict[str, pd.DataFrame], overrides: pd.DataFrame | None = None):
        self._depts = _DeptNormalizer(reference["departement"])
        self._build_communes(reference)
        self._build_epci(reference)
        self._overrides: dict[str, list] = defaultdict(list)
        if overrides is not None and len(overrides):
            check_overrides(overrides, reference)
            for r in overrides.itertuples(index=False):
                dept = None if r.departement is None else self._depts.normalize(r.departement)
                edition = None if pd.isna(r.edition) else int(r.edition)
                self._overrides[name_keys(r.name)[0]].append(
                    (edition, dept, r.code, r.decision, r.reason, r.decided_by)
                )
        self._cache: dict[tuple, Resolution] = {}
        self._scans: dict[str, list[tuple[float, list[_Entry]]]] = {}
        self._deferring, self._pending = False, set()

    # -- indexes --

    def _build_communes(self, reference: dict[str, pd.DataFrame]) -> None:
        communes = reference["commune"]
        code_map = dict(
            zip(
                reference["commune_code_map"]["old_code"],
                reference["commune_code_map"]["commune_code"],
            )
        )
        self._code_map = code_map
        current = communes[communes["commune_kind"] == "commune"]
        self._current = {
            code: (name, dept)
            for code, name, dept in zip(
                current["commune_code"], current["name"], current["departement_code"]
            )
        }
        self._commune_siren = {
            siren: code for siren, code in zip(current["siren"], current["commune_code"]) if siren
        }
        # Exact names of current communes, with and without their article.
        self._by_full: dict[str, list[_Entry]] = defaultdict(list)
        self._by_base: dict[str, list[_Entry]] = defaultdict(list)
        self._by_short: dict[str, list[_Entry]] = defaultdict(list)
        self._dept_keys: dict[str, tuple[list[str], list[_Entry]]] = {}
        dept_lists: dict[str, tuple[list[str], list[_Entry]]] = defaultdict(lambda: ([], []))
        base_to_entries: dict[str, list[_Entry]] = defaultdict(list)
        for code, (name, dept) in self._current.items():
            full, base = name_keys(name)
            entry = _Entry(code, name, dept, full=full, base=base)
            self._by_full[full].append(entry)
            self._by_base[base].append(entry)
            keys, entries = dept_lists[dept]
            keys.append(base)
            entries.append(entry)
            base_to_entries[base].append(entry)
            short = _short_key(base)
            if short:
                self._by_short[short].append(entry)
        self._dept_keys = dict(dept_lists)
        self._national_keys = list(base_to_entries)
        self._national_entries = [base_to_entries[k] for k in self._national_keys]
        head: dict[str, tuple[list[str], list[int]]] = defaultdict(lambda: ([], []))
        tail: dict[str, tuple[list[str], list[int]]] = defaultdict(lambda: ([], []))
        for i, key in enumerate(self._national_keys):
            for block in (head[key[:3]], tail[key[-3:]]):
                block[0].append(key)
                block[1].append(i)
        self._block_head, self._block_tail = dict(head), dict(tail)
        # A short form that is itself a commune's name is handled by the exact stages.
        for short in [s for s in self._by_short if s in self._by_base]:
            del self._by_short[short]

        # Old names: delegated / associated communes and arrondissements of today's COG, and
        # every name of the 1943-2019 history, each leading to the current commune holding it.
        self._old_full: dict[str, list[_Entry]] = defaultdict(list)
        self._old_base: dict[str, list[_Entry]] = defaultdict(list)
        # Names that were, at some date, an independent commune's (COM versions of the history),
        # used to spot a current name that another commune bore at the time of an edition.
        self._old_com_full: dict[str, list[_Entry]] = defaultdict(list)

        def add_old(entry: _Entry, independent: bool) -> None:
            full, base = entry.full, entry.base
            self._old_full[full].append(entry)
            self._old_base[base].append(entry)
            if independent:
                self._old_com_full[full].append(entry)

        others = communes[communes["commune_kind"] != "commune"]
        for code, name, dept, chef in zip(
            others["commune_code"],
            others["name"],
            others["departement_code"],
            others["chef_lieu_code"],
        ):
            target = code_map.get(chef or code, chef)
            if target in self._current:
                add_old(_Entry(target, name, dept, None, None, *name_keys(name)), independent=False)

        history = reference["commune_history"]
        holders = _history_holders(history)
        keys_memo: dict[str, tuple[str, str]] = {}

        def keys_of(name: str) -> tuple[str, str]:
            if name not in keys_memo:
                keys_memo[name] = name_keys(name)
            return keys_memo[name]

        for vid, code, kind, name, start, end in zip(
            history["version_id"],
            history["commune_code"],
            history["version_kind"],
            history["name"],
            history["start_date"],
            history["end_date"],
        ):
            holder = holders.get(vid)
            target = code_map.get(holder) if holder else None
            if code in self._current and keys_of(self._current[code][0])[0] == keys_of(name)[0]:
                target = code  # the same commune, still or again (restored after a merger)
            if target not in self._current:
                continue
            add_old(
                _Entry(
                    target,
                    name,
                    _dept_of_code(code),
                    None if pd.isna(start) else start.year,
                    None if pd.isna(end) else end.year,
                    *keys_of(name),
                ),
                independent=kind == "COM",
            )

    def _build_epci(self, reference: dict[str, pd.DataFrame]) -> None:
        epci = reference["epci"]
        dept_of = {code: dept for code, (_, dept) in self._current.items()}
        depts: dict[str, set[str]] = defaultdict(set)
        for siren, code in zip(
            reference["epci_member"]["epci_siren"], reference["epci_member"]["commune_code"]
        ):
            if code in dept_of:
                depts[siren].add(dept_of[code])
        self._epci: dict[str, tuple[str, str, frozenset[str]]] = {}
        self._epci_full: dict[str, list[str]] = defaultdict(list)
        self._epci_core: dict[str, list[str]] = defaultdict(list)
        for siren, name, kind in zip(epci["epci_siren"], epci["name"], epci["epci_kind"]):
            self._epci[siren] = (name, kind, frozenset(depts[siren]))
            self._epci_full[fold(name)].append(siren)
            core, _, acronym = epci_core(name)
            if core:
                self._epci_core[core].append(siren)
            if acronym:
                self._epci_core[acronym].append(siren)
        self._epci_core_keys = list(self._epci_core)
        self._epci_tokens = {
            siren: frozenset(epci_core(name)[0].split(" "))
            for siren, (name, _, _) in self._epci.items()
        }

    # -- public API --

    def resolve(
        self,
        name,
        departement=None,
        kind=None,
        edition=None,
        code=None,
    ) -> Resolution:
        """The decision for one published collectivity (memoised)."""
        name = None if _blank(name) else str(name).strip()
        departement = None if _blank(departement) else str(departement).strip()
        kind = None if _blank(kind) else str(kind).strip().lower()
        edition = None if _blank(edition) else int(edition)
        code = None if _blank(code) else str(code).strip()
        key = (name, departement, kind, edition, code)
        found = self._cache.get(key)
        if found is None:
            try:
                found = self._cache[key] = self._resolve(name, departement, kind, edition, code)
            except _NeedScan as need:  # only while resolve_rows defers its national scans
                self._pending.add(need.base)
                return None
        return found

    def resolve_rows(self, rows: pd.DataFrame) -> pd.DataFrame:
        """Resolve canonical rows; the result is aligned with `rows.index`.

        `rows` has at least `name`; `edition`, `departement`, `kind` and `code` are optional
        columns (missing = unknown). Returns the columns of RESULT_COLUMNS.
        """
        n = len(rows)

        def column(name):
            return rows[name].tolist() if name in rows.columns else [None] * n

        inputs = list(
            zip(
                column("name"),
                column("departement"),
                column("kind"),
                column("edition"),
                column("code"),
            )
        )
        # First pass: every row, the national fuzzy scans put aside; then those scans in a
        # batch, and the rows that needed one resolved again.
        self._deferring, self._pending = True, set()
        try:
            results = [self.resolve(*args) for args in inputs]
        finally:
            self._deferring = False
        if self._pending:
            self._scan_batch(sorted(self._pending))
            self._pending = set()
            results = [
                r if r is not None else self.resolve(*args) for r, args in zip(results, inputs)
            ]
        out = pd.DataFrame.from_records(
            [r.as_row() for r in results], columns=list(RESULT_COLUMNS), index=rows.index
        )
        out["score"] = out["score"].astype("float64")
        return out

    # -- the decision --

    def _resolve(self, name, departement, kind, edition, code) -> Resolution:
        # Département as published.
        depts: frozenset[str] | None = None
        if departement is not None:
            norm = self._depts.normalize(departement)
            if isinstance(norm, _Foreign):
                return _quarantine(f"foreign: département given as {departement!r}")
            if norm is None:
                return _quarantine(
                    f"invalid département: {departement!r} is not a French département"
                )
            depts = norm
        dept_out = next(iter(depts)) if depts and len(depts) == 1 else None

        # 1. Human decisions.
        if name is not None and self._overrides:
            decided = self._override(name, depts, edition)
            if decided is not None:
                return decided

        # 2. A code given by the file.
        if code is not None:
            return self._resolve_code(code, name, depts, dept_out)

        if name is None:
            return _quarantine("unknown: no name and no code", dept_out)

        # 3. Foreign places, non-collectivities, a département in parentheses.
        match_name, stripped = name, None
        paren = _PARENTHESIS.match(name)
        if paren and paren["name"] and not _TRAILING_ARTICLE.match(name):
            inner = paren["inner"].strip()
            inner_dept = self._depts.normalize(inner) if inner else None
            if isinstance(inner_dept, _Foreign):
                return _quarantine(f"foreign: {name!r} is in {inner}", dept_out)
            if inner_dept is not None:
                if depts is not None and not (depts & inner_dept):
                    return _quarantine(
                        f"conflict: département {departement!r} given, {inner!r} in the name",
                        dept_out,
                    )
                depts = depts or inner_dept
                dept_out = next(iter(depts)) if len(depts) == 1 else None
                match_name = paren["name"]
            else:
                # Part of the name ("Château-Chinon (Campagne)") or a remark: the whole name
                # first, then the name before the parenthesis.
                stripped = paren["name"]
        full, base = name_keys(match_name)
        if not full:
            return _quarantine(f"unknown: {name!r} has no letters", dept_out)
        if any((full + " ").startswith(p) for p in NOT_COLLECTIVITY_PREFIXES):
            return _quarantine(f"not a collectivity: {name!r}", dept_out)

        # 4-5. Communes and EPCI, by kind.
        marker = has_epci_marker(full)

        def match_commune() -> _Outcome:
            outcome = self._match_commune(full, base, depts, edition)
            if stripped and not outcome.found:
                alternative = self._match_commune(*name_keys(stripped), depts, edition)
                if alternative.found:
                    return alternative
            return outcome

        if kind == "territoire":
            outcome = self._match_epci(name, full, depts, edition, loose=True)
            if not outcome.entries and outcome.reason is None and not marker:
                commune = match_commune()
                if commune.entries or commune.reason:
                    outcome = commune
            return self._decide(outcome, name, dept_out, "epci")
        if kind in ("ville", "village"):
            return self._decide(match_commune(), name, dept_out, "commune")
        # Unknown kind: both; a name matching a commune and an EPCI is ambiguous.
        commune = match_commune()
        epci = self._match_epci(name, full, depts, edition, loose=marker)
        if commune.found and epci.found:
            if commune.rank == epci.rank:
                cands = self._format(commune.entries, "commune") + self._format(
                    epci.entries, "epci"
                )
                return _quarantine(
                    f"ambiguous: {name!r} matches a commune and an EPCI", dept_out, cands
                )
            return (
                self._decide(commune, name, dept_out, "commune")
                if commune.rank < epci.rank
                else self._decide(epci, name, dept_out, "epci")
            )
        if epci.found or (marker and not commune.found):
            return self._decide(epci, name, dept_out, "epci")
        return self._decide(commune, name, dept_out, "commune")

    def _override(self, name, depts, edition) -> Resolution | None:
        rules = self._overrides.get(name_keys(name)[0])
        if not rules:
            return None
        best, best_rank = None, -1
        for rule in rules:
            r_edition, r_dept, *_ = rule
            if r_edition is not None and r_edition != edition:
                continue
            if r_dept is not None and (depts is None or not (depts & r_dept)):
                continue
            rank = (r_edition is not None) + (r_dept is not None)
            if rank > best_rank:
                best, best_rank = rule, rank
        if best is None:
            return None
        _, r_dept, code, decision, reason, decided_by = best
        note = f"override ({decided_by or 'unsigned'}): {reason}"
        dept = next(iter(r_dept)) if r_dept and len(r_dept) == 1 else None
        if decision == "foreign":
            return _quarantine(f"foreign: {reason}", dept, method="override")
        if decision == "not_a_collectivity":
            return _quarantine(f"not a collectivity: {reason}", dept, method="override")
        if code in self._epci:
            return Resolution(
                "resolved",
                code,
                "epci",
                dept or self._epci_dept(code),
                "override",
                100.0,
                tuple(self._format_epci([code])),
                note,
            )
        return Resolution(
            "resolved",
            code,
            "commune",
            self._current[code][1],
            "override",
            100.0,
            tuple(self._format([_Entry(code, *self._current[code])], "commune")),
            note,
        )

    def _resolve_code(self, code, name, depts, dept_out) -> Resolution:
        raw = code
        if re.fullmatch(r"\d{4}", code):
            code = "0" + code  # a leading zero lost by a spreadsheet (Ain to Ardèche: 01-09)
        code = code.upper()
        entity = target = None
        if re.fullmatch(r"\d{5}|2[AB]\d{3}", code):
            target, entity = self._code_map.get(code), "commune"
        elif re.fullmatch(r"\d{9}", code):
            if code in self._epci:
                target, entity = code, "epci"
            elif code in self._commune_siren:
                target, entity = self._commune_siren[code], "commune"
        else:
            return _quarantine(
                f"invalid code: {raw!r} is neither an INSEE code nor a SIREN", dept_out
            )
        if target is None:
            return _quarantine(f"invalid code: {raw!r} is in no reference table", dept_out)
        if entity == "epci":
            name_e, _, e_depts = self._epci[target]
            if depts is not None and not (depts & e_depts):
                return _quarantine(
                    f"conflict: code {raw} is {name_e}, not in département {sorted(depts)}",
                    dept_out,
                    self._format_epci([target]),
                )
            return Resolution(
                "resolved",
                target,
                "epci",
                dept_out or self._epci_dept(target),
                "code",
                100.0,
                tuple(self._format_epci([target])),
            )
        cname, cdept = self._current[target]
        cands = self._format([_Entry(target, cname, cdept)], "commune")
        if depts is not None and cdept not in depts:
            return _quarantine(
                f"conflict: code {raw} is {cname} ({cdept}), not in the département given",
                dept_out,
                cands,
            )
        if name is not None and not self._name_fits(name, target):
            return _quarantine(
                f"conflict: code {raw} is {cname}, the name says {name!r}", dept_out, cands
            )
        return Resolution("resolved", target, "commune", cdept, "code", 100.0, tuple(cands))

    def _name_fits(self, name: str, target: str) -> bool:
        """Whether a published name is plausibly a name of that commune (current or old)."""
        full, base = name_keys(name)
        names = [self._current[target][0]] + [
            e.name
            for e in self._old_full.get(full, []) + self._old_base.get(base, [])
            if e.code == target
        ]
        return any(
            fuzz.WRatio(base, name_keys(n)[1], processor=None) >= FUZZY_MIN_SCORE for n in names
        )

    # -- communes --

    def _match_commune(self, full, base, depts, edition) -> _Outcome:
        def in_depts(entries, old=False):
            if depts is None:
                return list(entries)
            return [
                e for e in entries if e.dept in depts or (old and self._current[e.code][1] in depts)
            ]

        # The exact name; a published name without article also stands for the name with one
        # ("Saulchoy" is Saulchoy (62) or Le Saulchoy (60)), but an article given is kept.
        has_article = full != base
        found = in_depts(self._by_full.get(full, ())) if has_article else []
        if not found:
            found = in_depts(self._by_base.get(base, ()))
        if found:
            method = "exact" if all(e.full == full for e in found) else "article"
            outcome = _Outcome(found, method)
            # Another commune bearing that name at the time of the edition, since merged, in
            # another département? (The same name in the same département is the same commune,
            # re-established or renumbered: Celles, 15, merged in 2016 and restored in 2025.)
            current_depts = {e.dept for e in found}
            outcome.entries += [
                e
                for e in in_depts(self._old_com_full.get(full, ()), old=True)
                if e.code not in outcome.codes
                and e.dept not in current_depts
                and e.valid_for(edition)
            ]
            return outcome
        # Names of merged, delegated, associated or renamed communes.
        old = (self._old_full.get(full, []) if has_article else []) or self._old_base.get(base, [])
        found = [e for e in in_depts(old, old=True) if e.valid_for(edition)]
        if found:
            return _Outcome(found, "old_name")
        # Typos; failing that, a longer commune name beginning with the published one
        # ("Vandoeuvre" → Vandœuvre-lès-Nancy), unique in the département or in France.
        fuzzy = self._fuzzy_commune(base, depts)
        if fuzzy.entries and fuzzy.reason is None:
            return fuzzy
        found = in_depts(self._by_short.get(base, ()))
        if found:
            score = max(fuzz.WRatio(base, e.base, processor=None) for e in found)
            return _Outcome(found, "short_name", float(score))
        return fuzzy

    def _fuzzy_commune(self, base, depts) -> _Outcome:
        if depts is not None:
            keys, entries = [], []
            for d in sorted(depts):
                k, e = self._dept_keys.get(d, ([], []))
                keys += k
                entries += e
            ranked = []
            for scorer, weight in _DEPT_SCORERS:
                hits = process.extract(
                    base,
                    keys,
                    scorer=scorer,
                    processor=None,
                    limit=MAX_CANDIDATES,
                    score_cutoff=(FUZZY_MIN_SCORE - 25) / weight,
                )
                ranked += [(score * weight, [entries[i]]) for _, score, i in hits]
            return _fuzzy_decision(ranked, FUZZY_MIN_SCORE, FUZZY_MIN_MARGIN, national=False)
        if len(base) < FUZZY_NO_DEPT_MIN_LENGTH:
            return _Outcome()  # too short to be told from its neighbours without a département
        # The best candidate among the names sharing their first or last three letters with
        # the published one (a one-letter typo in a name of 7 letters or more keeps one of the
        # two intact): a few thousand names instead of 35,000.
        ranked = []
        cutoff = FUZZY_NO_DEPT_MIN_SCORE - FUZZY_NO_DEPT_MARGIN
        for block in (self._block_head.get(base[:3]), self._block_tail.get(base[-3:])):
            if block is None:
                continue
            keys, ids = block
            hits = process.extract(
                base,
                keys,
                scorer=fuzz.ratio,
                processor=None,
                limit=MAX_CANDIDATES,
                score_cutoff=cutoff,
            )
            ranked += [(score, self._national_entries[ids[i]]) for _, score, i in hits]
        outcome = _fuzzy_decision(
            ranked, FUZZY_NO_DEPT_MIN_SCORE, FUZZY_NO_DEPT_MARGIN, national=True
        )
        if outcome.entries and outcome.reason is None:
            # Before accepting, the runner-up is looked for in the whole of France.
            ranked += self._national_scan(base)
            outcome = _fuzzy_decision(
                ranked, FUZZY_NO_DEPT_MIN_SCORE, FUZZY_NO_DEPT_MARGIN, national=True
            )
        return outcome

    def _national_scan(self, base: str) -> list[tuple[float, list[_Entry]]]:
        """The names of France scoring at least FUZZY_NO_DEPT_MIN_SCORE - margin (memoised).

        Within `resolve_rows` the scans are batched (`_scan_batch`): rapidfuzz's cdist compares
        many names at once with SIMD, about 7 times faster than one extract per name.
        """
        hits = self._scans.get(base)
        if hits is None:
            if self._deferring:
                raise _NeedScan(base)
            self._scan_batch([base])
            hits = self._scans[base]
        return hits

    def _scan_batch(self, bases: list[str], chunk: int = 256) -> None:
        cutoff = FUZZY_NO_DEPT_MIN_SCORE - FUZZY_NO_DEPT_MARGIN
        for start in range(0, len(bases), chunk):
            part = bases[start : start + chunk]
            matrix = process.cdist(
                part,
                self._national_keys,
                scorer=fuzz.ratio,
                processor=None,
                score_cutoff=cutoff,
                dtype=np.float32,
                workers=1,
            )
            for base, row in zip(part, matrix):
                idx = np.flatnonzero(row >= cutoff)
                idx = idx[np.argsort(-row[idx], kind="stable")][: 2 * MAX_CANDIDATES]
                self._scans[base] = [(float(row[i]), self._national_entries[i]) for i in idx]

    # -- EPCI --

    def _match_epci(self, name, full, depts, edition, loose: bool) -> _Outcome:
        def in_depts(sirens):
            found = [s for s in dict.fromkeys(sirens) if depts is None or depts & self._epci[s][2]]
            return [self._epci_entry(s) for s in found]

        found = in_depts(self._epci_full.get(full, ()))
        if found:
            return _Outcome(found, "exact")
        if not loose:
            return _Outcome()
        core, kind, acronym = epci_core(name)
        found = in_depts(self._epci_core.get(core, ()))
        if not found and acronym:
            found = in_depts(self._epci_core.get(acronym, ()))
        if found:
            if len(found) > 1 and kind:  # the legal form decides between homonyms
                same_kind = [e for e in found if self._epci[e.code][1] == kind]
                found = same_kind or found
            return _Outcome(found, "epci_alias")
        if not core:
            return _Outcome()
        if depts is not None and kind and (edition is None or edition >= EPCI_MAP_YEAR):
            words = set(core.split(" "))
            found = in_depts(
                s
                for s, tokens in self._epci_tokens.items()
                if self._epci[s][1] == kind and words <= tokens
            )
            if len(found) == 1:
                score = fuzz.WRatio(core, epci_core(found[0].name)[0], processor=None)
                return _Outcome(found, "epci_partial", float(score))
        keys = self._epci_core_keys
        if depts is not None:
            keys = [k for k in keys if any(depts & self._epci[s][2] for s in self._epci_core[k])]
        hits = process.extract(
            core,
            keys,
            scorer=fuzz.ratio,
            processor=None,
            limit=MAX_CANDIDATES,
            score_cutoff=40,
        )
        ranked = [(score, in_depts(self._epci_core[k])) for k, score, _ in hits]
        ranked = [(s, e) for s, e in ranked if e]
        outcome = _fuzzy_decision(ranked, EPCI_FUZZY_MIN_SCORE, EPCI_FUZZY_MARGIN, depts is None)
        if outcome.reason and outcome.reason.startswith("fuzzy score below"):
            outcome.reason = (
                f"unknown: no current EPCI named {name!r} (merged or renamed since? a human "
                f"decides in overrides.csv); closest {outcome.reason.split(': ', 1)[1]}"
            )
        return outcome

    def _epci_entry(self, siren: str) -> _Entry:
        name, _, depts = self._epci[siren]
        return _Entry(siren, name, "/".join(sorted(depts)))

    def _epci_dept(self, siren: str) -> str | None:
        depts = self._epci[siren][2]
        return next(iter(depts)) if len(depts) == 1 else None

    # -- decision and audit trail --

    def _decide(self, outcome: _Outcome, name, dept_out, entity) -> Resolution:
        cands = self._format(outcome.entries + outcome.others, entity)
        if outcome.reason:
            return _quarantine(outcome.reason, dept_out, cands, outcome.method, outcome.score)
        codes = outcome.codes
        if not codes:
            what = "EPCI" if entity == "epci" else "commune"
            where = f" in département {dept_out}" if dept_out else ""
            return _quarantine(f"unknown: no {what} named {name!r}{where}", dept_out, cands)
        if len(codes) > 1:
            where = "" if dept_out else " and no département is given"
            return _quarantine(
                f"ambiguous: {name!r} matches {len(codes)} {'EPCI' if entity == 'epci' else 'communes'}{where}",
                dept_out,
                cands,
                outcome.method,
                outcome.score,
            )
        code = codes[0]
        if entity == "epci":
            dept = dept_out or self._epci_dept(code)
        else:
            dept = self._current[code][1]
        return Resolution(
            "resolved",
            code,
            entity,
            dept,
            outcome.method,
            round(float(outcome.score), 1),
            tuple(cands),
        )

    def _format(self, entries, entity) -> list[str]:
        if entity == "epci":
            return self._format_epci([e.code for e in entries])
        out = []
        for e in entries:
            cname, cdept = self._current[e.code]
            text = f"{e.code} {cname} ({cdept})"
            if e.name != cname:
                text = f"{e.code} {cname} ({cdept}) ← {e.name}" + (
                    f" [{e.start or ''}-{e.end or ''}]" if (e.start or e.end) else ""
                )
            if text not in out:
                out.append(text)
        return out[:MAX_CANDIDATES]

    def _format_epci(self, sirens) -> list[str]:
        out = []
        for s in dict.fromkeys(sirens):
            name, _, depts = self._epci[s]
            out.append(f"{s} {name} ({'/'.join(sorted(depts))})")
        return out[:MAX_CANDIDATES]


def _fuzzy_decision(ranked, threshold: float, margin: float, national: bool) -> _Outcome:
    """Accept the best fuzzy candidate if it reaches the threshold and leads the runner-up
    (another collectivity) by the margin; else say why not."""
    by_code: dict[str, tuple[float, _Entry]] = {}
    for score, entries in ranked:
        for e in entries:
            if e.code not in by_code or by_code[e.code][0] < score:
                by_code[e.code] = (score, e)
    order = sorted(by_code.values(), key=lambda t: -t[0])
    if not order:
        return _Outcome()
    best_score, best = order[0]
    scope = "in France (no département)" if national else "in the département"
    entries = [e for _, e in order]
    if best_score < threshold:
        return _Outcome(
            entries,
            "fuzzy",
            best_score,
            1,
            reason=f"fuzzy score below threshold: best {best_score:.0f} < {threshold:.0f} {scope}",
        )
    if len(order) > 1 and best_score - order[1][0] < margin:
        return _Outcome(
            entries,
            "fuzzy",
            best_score,
            1,
            reason=(
                f"ambiguous: fuzzy scores {best_score:.0f} and {order[1][0]:.0f} {scope} "
                f"differ by less than {margin:.0f}"
            ),
        )
    return _Outcome([best], "fuzzy", best_score, 1, others=entries[1:])


def _history_holders(history: pd.DataFrame) -> dict[str, str]:
    """For each history version, the code of the commune holding it at the end of 2019.

    A version is followed to its successor; a version still valid at the end is held by itself
    when it is a commune (COM), else by its pole (the commune it is part of). A version that
    ends without a successor (split back, suppressed) leads nowhere. Versions with several
    holders cannot be given one current commune and are left out. Follows the codes of the
    versions, never reused codes (75018 was Charenton-le-Pont before 1968).
    """
    succ = dict(zip(history["version_id"], history["successor_id"]))
    pole = dict(zip(history["version_id"], history["pole_id"]))
    kind = dict(zip(history["version_id"], history["version_kind"]))
    code = dict(zip(history["version_id"], history["commune_code"]))
    ended = dict(zip(history["version_id"], history["end_date"].notna()))
    memo: dict[str, str | None] = {}

    def holder(vid: str, depth: int = 0) -> str | None:
        if vid in memo:
            return memo[vid]
        if depth > 200:
            return None
        if succ.get(vid):
            result = holder(succ[vid], depth + 1)
        elif ended.get(vid):
            result = None
        elif kind.get(vid) == "COM":
            result = code[vid]
        elif pole.get(vid):
            result = holder(pole[vid], depth + 1)
        else:
            result = None
        memo[vid] = result
        return result

    return {vid: h for vid in succ if (h := holder(vid)) is not None}
