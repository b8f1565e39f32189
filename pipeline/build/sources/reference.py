"""Reference geography: régions, départements, communes, their history and the EPCI.

Every normal run reads the derived CSV files kept in data/raw/reference, offline, after checking
them against manifest.json. `refresh_reference` regenerates those files from the npm package
@etalab/decoupage-administratif (COG data, Licence Ouverte 2.0); only a maintainer runs it, when a
new COG vintage is out, because it needs npm and the registry. `refresh_epci_vintage` derives,
from the same package, the EPCI list of a past year that older illectronism figures are coded in
(data/raw/insee/epci_YYYY.json, read by `pipeline.build.assemble.illectronism`).

The CSV columns are those of pipeline/build/schema.sql, read from it so that the schema stays the
one place tables are declared.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import subprocess
import tarfile
import tempfile
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipeline.build import manifest
from pipeline.build.schema import Column, schema_columns
from pipeline.build.sources import insee
from pipeline.errors import InputError
from pipeline.io import bytes_sha256, file_sha256, write_bytes, write_text
from pipeline.paths import COG_YEAR

NPM_PACKAGE = "@etalab/decoupage-administratif"

#: Package version carrying each COG vintage (the package README's table). 1.1.1 (COG 2021) is
#: left out: it has no `zone` field and no départements or régions for the collectivités
#: d'outre-mer, which the schema needs.
NPM_VERSIONS = {
    2026: "6.0.0",
    2025: "5.3.0",
    2024: "4.1.0",
    2023: "3.1.1",
    2022: "2.3.1",
}

#: The last version shipping data/historique-communes.json (commune versions 1943-2019).
HISTORY_VERSION = "0.8.0"

#: EPCI lists by vintage: year → version holding the DGCL list of 1 January of that year (0.3.0
#: to 0.7.0 ship the same epci.json, 1259 EPCI), the geography of older illectronism figures.
EPCI_VINTAGE_VERSIONS = {2019: "0.7.0"}

#: Warehouse tables this source provides, one CSV file each, in schema order.
TABLES = (
    "region",
    "departement",
    "commune",
    "commune_code_map",
    "commune_history",
    "epci",
    "epci_member",
)

#: Where the files sit in a project checkout; `source.path` is relative to the project root.
PROJECT_DIR = "data/raw/reference"
MANIFEST = "manifest.json"
PRODUCER = "Etalab / INSEE (COG)"
LICENCE = "Licence Ouverte 2.0 (données) ; code MIT"

#: Joins a VARCHAR[] value (commune_history.member_ids) in one CSV field; no version id has it.
LIST_SEPARATOR = "|"

COMMUNE_KINDS = {
    "commune-actuelle": "commune",
    "commune-deleguee": "deleguee",
    "commune-associee": "associee",
    "arrondissement-municipal": "arrondissement",
}
EPCI_KINDS = {"CC": "CC", "CA": "CA", "CU": "CU", "METRO": "ME", "MET69": "ME"}

#: INSEE TNCC of a name starting with an article.
ARTICLES = (("La ", 3), ("Le ", 2), ("Les ", 4), ("L'", 5), ("Aux ", 6), ("Las ", 7), ("Los ", 8))

TITLES = {
    "region": "Régions",
    "departement": "Départements",
    "commune": "Communes, communes déléguées et associées, arrondissements municipaux",
    "commune_code_map": "Codes communes depuis 1943 vers la commune actuelle qui les contient",
    "commune_history": "Versions des communes 1943-2019 (historique du COG)",
    "epci": "EPCI à fiscalité propre",
    "epci_member": "Communes membres des EPCI à fiscalité propre",
}


def _source_keys() -> list[str]:
    """Keys of a manifest file entry: the columns of the `source` table."""
    return [col.name for col in schema_columns()["source"]]


# --- Refresh (maintainer, needs npm) -------------------------------------------------------


@dataclass(frozen=True)
class NpmPackage:
    """The data files of one version of the package, with the tarball's integrity string."""

    version: str
    integrity: str
    files: dict[str, object]

    @property
    def url(self) -> str:
        return f"https://www.npmjs.com/package/{NPM_PACKAGE}/v/{self.version}"

    def provenance(self, name: str) -> str:
        return f"npm {NPM_PACKAGE}@{self.version} data/{name}, tarball {self.integrity}"


def refresh_reference(cog_year: int, dest: Path) -> None:
    """Regenerate the reference CSV files, manifest.json and README.md of one COG vintage.

    Downloads the package version of that vintage and 0.8.0 (for the 1943-2019 history) with
    `npm pack`. The same inputs give byte-identical CSV files (rows sorted, fixed format); only
    the manifest's retrieval date changes.
    """
    if cog_year not in NPM_VERSIONS:
        known = ", ".join(str(year) for year in sorted(NPM_VERSIONS))
        raise ValueError(f"no {NPM_PACKAGE} version known for COG {cog_year} (known: {known})")
    with tempfile.TemporaryDirectory() as tmp:
        current = _npm_pack(NPM_VERSIONS[cog_year], Path(tmp))
        history = _npm_pack(HISTORY_VERSION, Path(tmp))
    rows = derive_tables(
        regions=current.files["regions.json"],
        departements=current.files["departements.json"],
        communes=current.files["communes.json"],
        epcis=current.files["epci.json"],
        history=history.files["historique-communes.json"],
    )
    origins = {
        "region": [(current, "regions.json")],
        "departement": [(current, "departements.json")],
        "commune": [(current, "communes.json")],
        "commune_code_map": [(current, "communes.json"), (history, "historique-communes.json")],
        "commune_history": [(history, "historique-communes.json")],
        "epci": [(current, "epci.json")],
        "epci_member": [(current, "epci.json")],
    }
    dest.mkdir(parents=True, exist_ok=True)
    today = dt.date.today().isoformat()
    entries = []
    for table in TABLES:
        data = _csv_bytes(table, rows[table])
        write_bytes(dest / f"{table}.csv", data)
        entries.append(
            {
                "path": f"{table}.csv",
                "sha256": bytes_sha256(data),
                "size_bytes": len(data),
                "row_count": len(rows[table]),
                "producer": PRODUCER,
                "title": f"{TITLES[table]} (COG {cog_year})",
                "licence": LICENCE,
                "url": origins[table][0][0].url,
                "retrieved_date": today,
                "derived_from": " + ".join(pkg.provenance(name) for pkg, name in origins[table]),
            }
        )
    document = {"cog_year": cog_year, "files": entries}
    write_text(dest / MANIFEST, json.dumps(document, ensure_ascii=False, indent=2) + "\n")
    write_text(dest / "README.md", _readme(cog_year, current, history))


def refresh_epci_vintage(dest: Path, vintage: int = 2019) -> dict:
    """Write dest/epci_<vintage>.json from the npm package and update dest/manifest.json.

    One line per EPCI (siren, name, kind, member commune codes of that year), sorted, so that
    the same package gives the same bytes. Returns the manifest entry.
    """
    version = EPCI_VINTAGE_VERSIONS[vintage]
    with tempfile.TemporaryDirectory() as tmp:
        package = _npm_pack(version, Path(tmp))
    epcis = sorted(package.files["epci.json"], key=lambda e: e["code"])
    lines = [
        json.dumps(
            {
                "siren": e["code"],
                "name": e["nom"],
                "kind": e["type"],
                "members": sorted(m["code"] for m in e["membres"]),
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )
        for e in epcis
    ]
    text = (
        f'{{"vintage":{vintage},"source":"DGCL, EPCI à fiscalité propre au 1er janvier '
        f'{vintage}, via npm @etalab/decoupage-administratif@{version} data/epci.json",'
        '"epci":[\n' + ",\n".join(lines) + "\n]}\n"
    )
    name = f"epci_{vintage}.json"
    write_text(dest / name, text)
    entry = {
        "path": name,
        "role": insee.ROLE_EPCI_VINTAGE,
        "sha256": file_sha256(dest / name),
        "producer": "Etalab / DGCL (liste des EPCI à fiscalité propre)",
        "title": f"EPCI à fiscalité propre au 1er janvier {vintage} et leurs communes membres",
        "licence": LICENCE,
        "url": package.url,
        "retrieved_date": dt.date.today().isoformat(),
        "derived_from": package.provenance("epci.json"),
        "vintage": vintage,
    }
    entries = (
        [e for e in manifest.load(dest) if e["path"] != name]
        if (dest / manifest.MANIFEST).exists()
        else []
    )
    manifest.save(dest, [*entries, entry])
    return entry


def _npm_pack(version: str, workdir: Path) -> NpmPackage:
    """Fetch one package version with `npm pack` and load its data/*.json files."""
    spec = f"{NPM_PACKAGE}@{version}"
    try:
        done = subprocess.run(
            ["npm", "pack", spec, "--json", "--pack-destination", str(workdir)],
            cwd=workdir,
            capture_output=True,
            text=True,
            check=True,
        )
    except FileNotFoundError:
        raise RuntimeError("npm is needed to refresh the reference geography") from None
    except subprocess.CalledProcessError as exc:
        raise RuntimeError(f"`npm pack {spec}` failed: {exc.stderr.strip()}") from None
    (packed,) = json.loads(done.stdout)
    files: dict[str, object] = {}
    with tarfile.open(workdir / packed["filename"], "r:gz") as tar:
        for member in tar.getmembers():
            name = member.name.removeprefix("package/data/")
            if member.isfile() and name != member.name and name.endswith(".json"):
                files[name] = json.load(tar.extractfile(member))
    return NpmPackage(version, packed["integrity"], files)


def derive_tables(
    regions: list[dict],
    departements: list[dict],
    communes: list[dict],
    epcis: list[dict],
    history: list[dict],
) -> dict[str, list[tuple]]:
    """The rows of every reference table, in schema column order, from the package's JSON."""
    rows = {
        "region": [
            (r["code"], r["nom"], r["typeLiaison"], r["chefLieu"], r["zone"]) for r in regions
        ],
        "departement": [
            (r["code"], r["nom"], r["typeLiaison"], r["region"], r["chefLieu"], r["zone"])
            for r in departements
        ],
        "commune": [_commune_row(r) for r in communes],
        "commune_code_map": _code_map_rows(communes, history),
        "commune_history": [
            (
                v["id"],
                v["code"],
                v["type"],
                v["nom"],
                v["typeLiaison"],
                v.get("dateDebut"),
                v.get("dateFin"),
                v.get("raisonDebut"),
                v.get("raisonFin"),
                v.get("predecesseur"),
                v.get("successeur"),
                v.get("pole"),
                LIST_SEPARATOR.join(v["membres"]) if v.get("membres") else None,
            )
            for v in history
        ],
        "epci": [
            (
                e["code"],
                e["nom"],
                EPCI_KINDS[e["type"]],
                e["type"],
                e["modeFinancement"],
                e["populationMunicipale"],
            )
            for e in epcis
        ],
        "epci_member": [(e["code"], m["code"]) for e in epcis for m in e["membres"]],
    }
    for table_rows in rows.values():
        table_rows.sort(key=lambda row: tuple("" if v is None else str(v) for v in row))
    return rows


def _commune_row(r: dict) -> tuple:
    """One commune record as a `commune` row; population and SIREN for current communes only."""
    current = r["type"] == "commune-actuelle"
    return (
        r["code"],
        COMMUNE_KINDS[r["type"]],
        r["nom"],
        _article_code(r),
        r["departement"],
        r["region"],
        r["zone"],
        r.get("siren") if current else None,
        r.get("population") if current else None,
        # delegated/associated communes name their chefLieu, arrondissements their commune
        r.get("chefLieu") or r.get("commune"),
    )


def _article_code(r: dict) -> int:
    """The record's TNCC; inferred from the name where the package gives none.

    The communes of the collectivités d'outre-mer have no typeLiaison. Their TNCC is read from
    the name: an article gives its code, otherwise 1 before a vowel ("d'") and 0 before a
    consonant, H counted as a consonant (Polynesian and Kanak names: Hao, Hienghène).
    """
    if "typeLiaison" in r:
        return r["typeLiaison"]
    name = r["nom"]
    for article, code in ARTICLES:
        if name.startswith(article):
            return code
    first = unicodedata.normalize("NFD", name)[0].upper()
    return 1 if first in "AEIOUYŒÆ" else 0


def _code_map_rows(communes: list[dict], history: list[dict]) -> list[tuple]:
    """(old_code, commune_code, method): every known commune code to the current commune(s).

    The first rule that knows a code decides, in this order, so the COG's present state wins
    over older links:
    - current: a current commune maps to itself;
    - chef_lieu: a delegated or associated commune, or a municipal arrondissement, maps to the
      commune it belongs to today;
    - ancien_code: a code in a current commune's anciensCodes maps to that commune;
    - history: a code of historique-communes.json is followed to the communes holding its
      territory at the end of 2019, which are mapped by the rules above.
    The order matters where the package keeps an outdated link: an associated commune that
    changed parent still sits in its first parent's anciensCodes, and communes re-established
    after 2019 still belong to their commune nouvelle in the 2019 history.
    """
    found: dict[str, tuple[str, set[str]]] = {}

    def claim(code: str, method: str, target: str) -> None:
        first_method, targets = found.setdefault(code, (method, set()))
        if first_method == method:
            targets.add(target)

    current = [r for r in communes if r["type"] == "commune-actuelle"]
    for r in current:
        claim(r["code"], "current", r["code"])
    for r in communes:
        if r["type"] != "commune-actuelle":
            claim(r["code"], "chef_lieu", r.get("chefLieu") or r["commune"])
    for r in current:
        for old in r.get("anciensCodes", []):
            claim(old, "ancien_code", r["code"])
    present = {code: targets for code, (_, targets) in found.items()}
    for old, holders in _holders_2019(history).items():
        for holder in holders:
            for target in present.get(holder, ()):
                claim(old, "history", target)
    return [(old, target, method) for old, (method, targets) in found.items() for target in targets]


def _holders_2019(history: list[dict]) -> dict[str, set[str]]:
    """For each code of the history, the codes of the communes holding it at the end of 2019.

    A version is followed to its successor; a version still valid at the end is held by itself
    if it is a commune (COM), else by its pole (the commune it is part of), followed in turn.
    A version that ends without successor leads nowhere: a merged commune split back into its
    members (each member version carries on) or a commune suppressed.
    """
    by_id = {v["id"]: v for v in history}
    holders: dict[str, set[str]] = defaultdict(set)
    for version in history:
        v, seen = version, set()
        while v["id"] not in seen:
            seen.add(v["id"])
            if "successeur" in v:
                v = by_id[v["successeur"]]
            elif "dateFin" in v:
                break
            elif v["type"] == "COM":
                holders[version["code"]].add(v["code"])
                break
            else:
                v = by_id[v["pole"]]
        else:
            raise ValueError(f"historique-communes.json links loop through {v['id']}")
    return holders


def _csv_bytes(table: str, rows: list[tuple]) -> bytes:
    """The CSV file of a table: UTF-8, comma, header, '\\n' line ends, null as empty field."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(col.name for col in schema_columns()[table])
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _readme(cog_year: int, current: NpmPackage, history: NpmPackage) -> str:
    """What the files are, where they come from, their licence and how to regenerate them."""
    return f"""# Reference geography (COG {cog_year})

Tables derived from the npm package `{NPM_PACKAGE}` (Etalab, from INSEE's
Code officiel géographique and the DGCL list of EPCI): one CSV file per warehouse table
(UTF-8, comma, header), with the columns of `pipeline/build/schema.sql`.

- `{NPM_PACKAGE}@{current.version}`: régions, départements, communes (current,
  delegated, associated, municipal arrondissements) and EPCI of COG {cog_year}.
  {current.url}
- `{NPM_PACKAGE}@{history.version}`: `data/historique-communes.json`, dated versions
  of communes 1943-2019 (`commune_history.csv`, `member_ids` joined with `{LIST_SEPARATOR}`).
  {history.url}
- `commune_code_map.csv` maps every commune code known since 1943 to the current commune
  that holds its territory (method: current, chef_lieu, ancien_code, history).

`manifest.json` records each file's sha256, size, row count and provenance (tarball integrity);
the pipeline refuses a file whose checksum differs. Do not edit the files by hand.

Licence: data under Licence Ouverte 2.0 (Etalab), code of the package under MIT.
Attribution: « Etalab / INSEE, Code officiel géographique {cog_year}, via {NPM_PACKAGE} ».

Regenerate (needs npm and the registry): `palmares reference refresh --cog {cog_year}`.
"""


# --- Read (every run, offline) -------------------------------------------------------------


def read_reference(ref_dir: Path) -> dict[str, pd.DataFrame]:
    """Load every reference table, checked against manifest.json, typed as schema.sql says.

    Raises InputError naming the file for a missing file or manifest, a checksum mismatch, a
    header that differs from the schema, or a value that does not parse (with its row).
    """
    entries = {entry["path"]: entry for entry in _manifest(ref_dir)["files"]}
    tables = {}
    for table in TABLES:
        name = f"{table}.csv"
        if name not in entries:
            raise InputError(ref_dir / MANIFEST, f"lists no {name}")
        tables[table] = _read_table(ref_dir / name, entries[name]["sha256"], table)
    return tables


def reference_sources(ref_dir: Path) -> list[dict]:
    """One `source` row per reference file, paths relative to the project root."""
    sources = []
    for entry in _manifest(ref_dir)["files"]:
        source = {key: entry[key] for key in _source_keys()}
        source["path"] = f"{PROJECT_DIR}/{entry['path']}"
        source["retrieved_date"] = dt.date.fromisoformat(entry["retrieved_date"])
        sources.append(source)
    return sources


def _manifest(ref_dir: Path) -> dict:
    """manifest.json, checked to list files with every provenance key."""
    path = ref_dir / MANIFEST
    regenerate = f"regenerate it with `palmares reference refresh --cog {COG_YEAR}`"
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(path, f"missing, the reference cannot be checked; {regenerate}") from None
    except OSError as exc:
        raise InputError(path, f"cannot be read: {exc.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(path, f"not valid JSON ({exc}); {regenerate}") from None
    files = document.get("files") if isinstance(document, dict) else None
    if not isinstance(files, list):
        raise InputError(path, "has no list of files")
    for n, entry in enumerate(files, start=1):
        missing = [key for key in _source_keys() if not isinstance(entry, dict) or key not in entry]
        if missing:
            raise InputError(path, f"file entry {n} lacks {', '.join(missing)}")
        try:
            dt.date.fromisoformat(entry["retrieved_date"])
        except (TypeError, ValueError):
            raise InputError(path, f"file entry {n}: retrieved_date is not an ISO date") from None
    return document


def _read_table(path: Path, sha256: str, table: str) -> pd.DataFrame:
    """One CSV file: checksum, header, then each column converted to its schema type."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(path, f"missing (listed in {MANIFEST})") from None
    except OSError as exc:
        raise InputError(path, f"cannot be read: {exc.strerror}") from None
    actual = bytes_sha256(data)
    if actual != sha256:
        raise InputError(
            path,
            f"sha256 {actual} differs from {sha256} recorded in {MANIFEST}: the file is "
            f"corrupted or was edited; regenerate it with "
            f"`palmares reference refresh --cog {COG_YEAR}`",
        )
    try:
        raw = pd.read_csv(io.BytesIO(data), dtype=object, keep_default_na=False, encoding="utf-8")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(path, f"cannot be read as UTF-8 CSV: {exc}") from None

    columns = schema_columns()[table]
    expected = [col.name for col in columns]
    header = list(raw.columns)
    if header != expected:
        missing = [c for c in expected if c not in header]
        extra = [c for c in header if c not in expected]
        problems = []
        if missing:
            problems.append(f"missing column(s) {', '.join(missing)}")
        if extra:
            problems.append(f"unexpected column(s) {', '.join(extra)}")
        problem = "; ".join(problems) or "wrong order"
        raise InputError(path, f"header {header} is not {expected}: {problem}")
    return pd.DataFrame({col.name: _convert(path, col, raw[col.name]) for col in columns})


def _convert(path: Path, col: Column, values: pd.Series) -> pd.Series:
    """A CSV column as its schema type: empty means null, refused where the schema says NOT NULL."""
    empty = values == ""
    if not col.nullable and empty.any():
        raise InputError(path, f"column {col.name} is empty", row=_first_row(empty))
    if col.sql_type == "VARCHAR":
        return values.where(~empty, None)
    if col.sql_type == "VARCHAR[]":
        return values.str.split(LIST_SEPARATOR).where(~empty, None)
    if col.sql_type in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT"):
        bad = ~empty & ~values.str.fullmatch(r"-?\d+")
        if bad.any():
            row = _first_row(bad)
            raise InputError(
                path, f"column {col.name}: {values.iloc[row - 2]!r} is not an integer", row
            )
        return pd.to_numeric(values.where(~empty)).astype("Int64")
    if col.sql_type == "DATE":
        parsed = pd.to_datetime(values.where(~empty), format="%Y-%m-%d", errors="coerce")
        bad = ~empty & parsed.isna()
        if bad.any():
            row = _first_row(bad)
            problem = f"column {col.name}: {values.iloc[row - 2]!r} is not a YYYY-MM-DD date"
            raise InputError(path, problem, row)
        return parsed
    raise ValueError(f"schema type {col.sql_type} of {col.name} has no CSV conversion")


def _first_row(mask: pd.Series) -> int:
    """Row of the first True of a mask, as an editor shows it (the header is row 1)."""
    return int(mask.to_numpy().argmax()) + 2
