"""Identity resolution on the committed reference (COG 2026), offline.

Every expected code is read from the reference tables in the test, never typed from memory.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest
from conftest import raw_records

from pipeline.build.resolve import (
    RESULT_COLUMNS,
    Resolver,
    fold,
    load_overrides,
    name_keys,
    read_overrides,
)
from pipeline.errors import InputError
from pipeline.paths import DEFAULT_ROOT, Paths

PATHS = Paths(DEFAULT_ROOT)
PALMARES = PATHS.raw / "palmares"
OVERRIDES = PALMARES / "overrides.csv"


@pytest.fixture(scope="module")
def ref(reference) -> dict[str, pd.DataFrame]:
    """conftest's session-wide read of the committed reference, under this module's name."""
    return reference


@pytest.fixture(scope="module")
def resolver(ref) -> Resolver:
    """The resolver with no human decision."""
    return Resolver(ref)


@pytest.fixture(scope="module")
def decided(ref) -> Resolver:
    """The resolver with the committed overrides.csv."""
    return Resolver(ref, load_overrides(OVERRIDES, ref))


def commune_code(ref, name: str, dept: str, kind: str = "commune") -> str:
    """The code of a commune of the reference, by its exact name and département."""
    c = ref["commune"]
    found = c[(c["name"] == name) & (c["departement_code"] == dept) & (c["commune_kind"] == kind)]
    assert len(found) == 1, (name, dept, kind, found)
    return found["commune_code"].iloc[0]


def epci_siren(ref, name: str) -> str:
    e = ref["epci"]
    found = e.loc[e["name"] == name, "epci_siren"]
    assert len(found) == 1, name
    return found.iloc[0]


def communes_named(ref, name: str) -> list[str]:
    c = ref["commune"]
    return sorted(c.loc[(c["name"] == name) & (c["commune_kind"] == "commune"), "commune_code"])


# --- normalisation ---------------------------------------------------------------------------


def test_fold_and_keys():
    assert fold("Marcq-en-Barœul") == fold("MARCQ EN BAROEUL") == "marcq en baroeul"
    assert fold("Villeneuve-D’Ascq") == fold("Villeneuve-d'Ascq")
    assert fold("Hérouville St Clair") == fold("Hérouville-Saint-Clair")
    assert fold("Ste-Maxime") == fold("Sainte  Maxime")
    assert name_keys("La Madeleine") == ("la madeleine", "madeleine")
    assert name_keys("Madeleine (La)") == name_keys("La Madeleine")
    assert name_keys("Madeleine, La") == name_keys("La Madeleine")
    assert name_keys("L'Isle-Adam") == ("l isle adam", "isle adam")


# --- communes --------------------------------------------------------------------------------


def resolve(r: Resolver, name, dept=None, kind=None, edition=None, code=None):
    return r.resolve(name, dept, kind, edition, code)


def test_article_forms(ref, resolver):
    madeleine = commune_code(ref, "La Madeleine", "59")
    for name, method in (
        ("La Madeleine", "exact"),
        ("LA MADELEINE", "exact"),
        ("Madeleine", "article"),
        ("Madeleine (La)", "exact"),
    ):
        res = resolve(resolver, name, "59")
        assert (res.status, res.code, res.method) == ("resolved", madeleine, method), name
        assert res.departement_code == "59"
    # The département as a name, or unpadded, is read too.
    assert resolve(resolver, "Madeleine", "Nord").code == madeleine


def test_ligatures_apostrophes_saints(ref, resolver):
    marcq = commune_code(ref, "Marcq-en-Barœul", "59")
    for name in ("Marcq-en-Barœul", "Marcq-en-Baroeul", "MARCQ EN BAROEUL"):
        assert resolve(resolver, name).code == marcq, name
    vda = commune_code(ref, "Villeneuve-d'Ascq", "59")
    for name in ("Villeneuve-D'Ascq", "Villeneuve d’Ascq", "villeneuve-d'ascq"):
        assert resolve(resolver, name, "59").code == vda, name
    assert resolve(resolver, "Hérouville St Clair", "14").code == commune_code(
        ref, "Hérouville-Saint-Clair", "14"
    )
    assert resolve(resolver, "Ste-Maxime", "83").code == commune_code(ref, "Sainte-Maxime", "83")
    assert resolve(resolver, "St Étienne", "42").code == commune_code(ref, "Saint-Étienne", "42")
    assert resolve(resolver, "L'Isle Adam").code == commune_code(ref, "L'Isle-Adam", "95")


def test_homonyms_decided_by_departement_never_by_size(ref, resolver):
    rochelles = communes_named(ref, "La Rochelle")
    small, big = commune_code(ref, "La Rochelle", "70"), commune_code(ref, "La Rochelle", "17")
    assert sorted([small, big]) == rochelles
    assert resolve(resolver, "La Rochelle", "70", "village", 2025).code == small
    assert resolve(resolver, "La Rochelle", "Haute-Saône").code == small
    assert resolve(resolver, "La Rochelle", "17").code == big
    res = resolve(resolver, "La Rochelle", None, "village", 2025)
    assert res.status == "quarantined" and res.code is None
    assert res.reason.startswith("ambiguous")
    assert {c.split(" ")[0] for c in res.candidates} == set(rochelles)


def test_merged_commune_old_name(ref, resolver):
    # A delegated commune (commune table): Notre-Dame-de-Gravenchon, 5@ in 2009.
    chef = ref["commune"].set_index(["commune_code", "commune_kind"])
    ndg = commune_code(ref, "Notre-Dame-de-Gravenchon", "76", kind="deleguee")
    today = chef.loc[(ndg, "deleguee"), "chef_lieu_code"]
    res = resolve(resolver, "Notre-Dame-de-Gravenchon", None, None, 2009)
    assert (res.status, res.code, res.method) == ("resolved", today, "old_name")
    assert res.departement_code == "76"

    # A name known only from the 1943-2019 history: Blessey (21), merged in 2009 (fusion
    # simple) into another commune; the expected code follows the history's own links.
    h = ref["commune_history"].set_index("version_id")
    (vid,) = h.index[(h["name"] == "Blessey") & (h["version_kind"] == "COM")]
    v = h.loc[vid]
    assert v["end_reason"] == "fusion simple"
    part = h.loc[v["successor_id"]]
    pole = h.loc[part["pole_id"]]
    code_map = dict(
        zip(ref["commune_code_map"]["old_code"], ref["commune_code_map"]["commune_code"])
    )
    expected = code_map[pole["commune_code"]]
    assert not communes_named(ref, "Blessey")  # no current commune of that name
    res = resolve(resolver, "Blessey", "21", None, 2005)
    assert (res.status, res.code, res.method) == ("resolved", expected, "old_name")

    # A renamed commune: Challes (01077) took another name in 2006; a Challes exists in the
    # Sarthe today, so with Ain given the old name still leads to 01077.
    (vid,) = h.index[(h["name"] == "Challes") & (h["commune_code"] == "01077")]
    assert h.loc[vid, "end_reason"] == "changement de nom"
    res = resolve(resolver, "Challes", "01", None, 2005)
    assert (res.status, res.code, res.method) == ("resolved", "01077", "old_name")
    assert resolve(resolver, "Challes", "72").code == commune_code(ref, "Challes", "72")


def test_typo_within_departement_is_fuzzy(ref, resolver):
    vda = commune_code(ref, "Villeneuve-d'Ascq", "59")
    res = resolve(resolver, "Villeneuve-d'Asq", "59")
    assert (res.status, res.code, res.method) == ("resolved", vda, "fuzzy")
    assert 85 <= res.score < 100
    merignac = commune_code(ref, "Mérignac", "33")
    assert resolve(resolver, "Mérignacc", "33").code == merignac


def test_typo_without_departement_is_not_resolved_to_a_homonym(ref, resolver):
    assert len(communes_named(ref, "Mérignac")) == 3
    for name in ("Mérignacc", "Merignak", "La Rochele"):
        res = resolve(resolver, name)
        assert res.status == "quarantined" and res.code is None, (name, res)


def test_fuzzy_never_leaves_the_given_departement(ref, resolver):
    # Castanet is the exact name of communes in Aveyron, Tarn and Tarn-et-Garonne; with the
    # Haute-Garonne given, only its communes are considered.
    others = communes_named(ref, "Castanet")
    assert len(others) == 3 and not any(code.startswith("31") for code in others)
    res = resolve(resolver, "Castanet", "31")
    assert (res.code, res.method) == (commune_code(ref, "Castanet-Tolosan", "31"), "fuzzy")
    assert all(c.split(" ")[0].startswith("31") for c in res.candidates)
    # The 2018 misprint resolves inside the département (the human decision agrees).
    res = resolve(resolver, "Castanet-Trojan", "31", None, 2018)
    assert (res.code, res.method) == (commune_code(ref, "Castanet-Tolosan", "31"), "fuzzy")


def test_short_form_needs_a_unique_commune(ref, resolver):
    vandoeuvre = commune_code(ref, "Vandœuvre-lès-Nancy", "54")
    res = resolve(resolver, "Vandoeuvre")
    assert (res.code, res.method) == (vandoeuvre, "short_name")
    # Charenton: Charenton-le-Pont (94) and Charenton-du-Cher (18).
    assert resolve(resolver, "Charenton").status == "quarantined"
    assert resolve(resolver, "Charenton", "94").code == commune_code(ref, "Charenton-le-Pont", "94")


# --- EPCI ------------------------------------------------------------------------------------


def test_epci_names(ref, resolver):
    cacl = epci_siren(ref, "CA du Centre Littoral")
    for name, kind in (
        ("CA du Centre Littoral", None),
        ("Communauté d'Agglomération du Centre Littoral", "territoire"),
        ("Communauté d'agglomération du Centre Littoral", None),
    ):
        res = resolve(resolver, name, None, kind)
        assert (res.status, res.code, res.entity) == ("resolved", cacl, "epci"), name
        assert res.departement_code == "973"
    nancy = epci_siren(ref, "Métropole du Grand Nancy")
    res = resolve(resolver, "Communauté urbaine du Grand Nancy", None, "territoire", 2006)
    assert (res.code, res.method) == (nancy, "epci_alias")
    assert resolve(resolver, "Eurométropole de Strasbourg").code == epci_siren(
        ref, "Eurométropole de Strasbourg"
    )


def test_commune_is_not_its_epci(ref, resolver):
    # "Metz" is the commune, not Metz Métropole; a ville is never an EPCI.
    res = resolve(resolver, "Metz")
    assert (res.entity, res.code) == ("commune", commune_code(ref, "Metz", "57"))
    res = resolve(resolver, "CA du Centre Littoral", None, "ville")
    assert res.entity != "epci"


def test_old_epci_name_quarantined(resolver):
    # Merged into CC de Parthenay-Gâtine in 2014: a human decides, not the resolver.
    res = resolve(resolver, "Communauté de communes de Parthenay", None, "territoire", 2006)
    assert res.status == "quarantined"
    assert res.reason.startswith(("unknown", "fuzzy score below threshold"))


# --- foreign, non-collectivities, overrides, codes --------------------------------------------


def test_foreign_and_not_a_collectivity(resolver):
    res = resolve(resolver, "Bromont (Québec)", None, None, 2005)
    assert res.status == "quarantined" and res.reason.startswith("foreign")
    assert resolve(resolver, "Bromont", "Québec").reason.startswith("foreign")
    res = resolve(resolver, "Association régionale gestionnaire de structure d'insertion (ARGI)")
    assert res.reason.startswith("not a collectivity")


def test_overrides_applied_before_matching(ref, resolver, decided):
    castanet = commune_code(ref, "Castanet-Tolosan", "31")
    # The human decision comes first and is recorded.
    res = resolve(decided, "Castanet-Trojan", "31", None, 2018)
    assert (res.status, res.code, res.method) == ("resolved", castanet, "override")
    assert "Castanet-Tolosan" in res.reason
    # The override is for that edition only.
    assert resolve(decided, "Castanet-Trojan", "31", None, 2019).method != "override"
    # Foreign by human decision: Bromont (Québec) in 2006, printed without "(Québec)": fuzzy
    # matching sees Romont (88) and Brimont (51); the decision file says why it is set aside.
    res = resolve(resolver, "Bromont", None, None, 2006)
    assert res.status == "quarantined" and not res.reason.startswith("foreign")
    res = resolve(decided, "Bromont", None, None, 2006)
    assert (res.status, res.method) == ("quarantined", "override")
    assert res.reason.startswith("foreign")
    assert resolve(decided, "Yoff", None, None, 2000).reason.startswith("foreign")
    # An override wins over an exact match.
    overrides = pd.DataFrame(
        {
            "edition": pd.array([2010], dtype="Int64"),
            "name": ["Metz"],
            "departement": [None],
            "code": [None],
            "decision": ["not_a_collectivity"],
            "reason": ["test"],
            "decided_by": ["test"],
        }
    )
    r = Resolver(ref, overrides)
    assert resolve(r, "Metz", None, None, 2010).reason.startswith("not a collectivity")
    assert resolve(r, "Metz", None, None, 2011).status == "resolved"


def test_code_column(ref, resolver):
    metz = commune_code(ref, "Metz", "57")
    res = resolve(resolver, "Metz", None, None, None, metz)
    assert (res.status, res.code, res.method) == ("resolved", metz, "code")
    # An old commune code maps through commune_code_map.
    cm = ref["commune_code_map"]
    old, today = cm.loc[cm["method"] == "ancien_code", ["old_code", "commune_code"]].iloc[0]
    res = resolve(resolver, None, None, None, None, old)
    assert (res.status, res.code) == ("resolved", today)
    # An EPCI SIREN.
    cacl = epci_siren(ref, "CA du Centre Littoral")
    assert resolve(resolver, None, None, "territoire", None, cacl).entity == "epci"
    # Invalid codes.
    for bad in ("99999", "ABC", "12345678"):
        res = resolve(resolver, "Metz", None, None, None, bad)
        assert res.status == "quarantined" and res.reason.startswith("invalid code"), bad
    # A code that contradicts the département or the name.
    assert resolve(resolver, "Metz", "59", None, None, metz).reason.startswith("conflict")
    assert resolve(resolver, "Lille", None, None, None, metz).reason.startswith("conflict")


def test_invalid_departement(resolver):
    res = resolve(resolver, "Metz", "123")
    assert res.status == "quarantined" and res.reason.startswith("invalid département")


def test_resolve_rows_aligned(ref, resolver):
    rows = pd.DataFrame(
        {
            "edition": pd.array([2025, 2025, None], dtype="Int64"),
            "name": ["La Rochelle", "La Rochelle", "Mérignac"],
            "departement": ["70", None, "33"],
            "kind": ["village", None, None],
            "code": [None, None, None],
        },
        index=[10, 20, 30],
    )
    out = resolver.resolve_rows(rows)
    assert list(out.columns) == list(RESULT_COLUMNS)
    assert list(out.index) == [10, 20, 30]
    assert out.loc[10, "code"] == commune_code(ref, "La Rochelle", "70")
    assert out.loc[20, "status"] == "quarantined"
    assert out.loc[30, "code"] == commune_code(ref, "Mérignac", "33")
    assert out["score"].dtype == "float64"
    assert isinstance(out.loc[20, "candidates"], list) and len(out.loc[20, "candidates"]) == 2


def test_batch_decides_as_one_by_one(ref, resolver):
    """resolve_rows puts aside the typos without département that need a national scan and
    resolves them in a second pass (also when only the name before a parenthesis needs one):
    the same decisions as one `resolve` at a time."""
    names = [
        "Villeneuve-d'Ascqq",
        "Hérouville-St-Clairr",
        "Hérouville-Saint-Clairr (ville)",
        "Charleville-Mézièrse",
        "Lille",
        "Mérignacc",
        "Hérouville-St-Clairr",
    ]
    rows = pd.DataFrame({"edition": pd.array([2015] * len(names), dtype="Int64"), "name": names})
    batch = Resolver(ref).resolve_rows(rows)  # a new resolver: no scan memoised yet
    one_by_one = pd.DataFrame.from_records(
        [resolve(resolver, name, None, None, 2015).as_row() for name in names],
        columns=list(RESULT_COLUMNS),
    )
    one_by_one["score"] = one_by_one["score"].astype("float64")
    pd.testing.assert_frame_equal(batch, one_by_one)
    assert batch.loc[2, "code"] == commune_code(ref, "Hérouville-Saint-Clair", "14")
    assert batch["method"].tolist().count("fuzzy") == 6


# --- the overrides file ------------------------------------------------------------------------


def test_committed_overrides_are_valid(ref):
    overrides = load_overrides(OVERRIDES, ref)
    assert len(overrides) >= 5
    assert overrides["reason"].notna().all()


def write(tmp_path, text: str):
    path = tmp_path / "overrides.csv"
    path.write_text("edition,name,departement,code,decision,reason,decided_by\n" + text, "utf-8")
    return path


def test_override_with_unknown_code_is_refused(ref, tmp_path):
    path = write(tmp_path, "2018,Castanet-Trojan,31,31999,code,misprint,me\n")
    with pytest.raises(InputError) as err:
        load_overrides(path, ref)
    assert err.value.row == 1 and err.value.path == path and "31999" in str(err.value)


@pytest.mark.parametrize(
    "line, problem",
    [
        ("2018,X,31,,code,why,me", "needs a code"),
        ("2018,X,31,31113,foreign,why,me", "must leave code blank"),
        ("2018,X,31,,guess,why,me", "decision"),
        ("2018,X,31,31113,code,,me", "reason"),
        ("18,X,31,31113,code,why,me", "edition"),
    ],
)
def test_override_format_errors(tmp_path, line, problem):
    path = write(tmp_path, "2000,Yoff,,,foreign,Senegal,me\n" + line + "\n")
    with pytest.raises(InputError) as err:
        read_overrides(path)
    assert err.value.row == 2 and problem in err.value.problem


def test_override_with_unknown_departement_is_refused(ref, tmp_path):
    path = write(tmp_path, "2018,Castanet-Trojan,313,31113,code,misprint,me\n")
    with pytest.raises(InputError, match="département"):
        load_overrides(path, ref)


# --- the real palmarès ----------------------------------------------------------------------


SUFFIX = re.compile(r"^(?P<name>.*?)\s*\((?P<dept>\d{1,3}|2[AB])\)\s*$", re.IGNORECASE)


def canonical_laureates() -> pd.DataFrame:
    """laureates.csv as canonical rows (the test's own tiny reader, not the pipeline's)."""
    raw = pd.read_csv(PALMARES / "laureates.csv", dtype=str, keep_default_na=False)
    names, depts = [], []
    for name, dept in zip(raw["collectivity_name"], raw["department_code"]):
        suffix = SUFFIX.match(name)
        if suffix:
            name, dept = suffix["name"], dept or suffix["dept"]
        names.append(name)
        depts.append(dept or None)
    return pd.DataFrame(
        {
            "edition": pd.array(raw["edition_year"].astype(int), dtype="Int64"),
            "name": names,
            "departement": depts,
            "kind": raw["category"].str.lower().replace("", None),
            "code": None,
        }
    )


def test_laureates_resolve(ref, decided):
    rows = canonical_laureates()
    out = decided.resolve_rows(rows)
    assert len(rows) == len(raw_records("palmares/laureates.csv"))
    resolved = out["status"] == "resolved"
    assert resolved.sum() + (out["status"] == "quarantined").sum() == len(rows)
    french = ~out["reason"].fillna("").str.startswith(("foreign", "not a collectivity"))
    share = (resolved & french).sum() / french.sum()
    assert share >= 0.95, share
    # Every code is a current commune or an EPCI.
    c = ref["commune"]
    known = set(c.loc[c["commune_kind"] == "commune", "commune_code"]) | set(
        ref["epci"]["epci_siren"]
    )
    assert set(out.loc[resolved, "code"]) <= known
    # La Rochelle (Haute-Saône), the smallest laureate, never the préfecture.
    rochelle = out[rows["name"] == "La Rochelle"]
    assert set(rochelle["code"]) == {commune_code(ref, "La Rochelle", "70")}
    # Homonyms without a département stay for a human (Mérignac 16/17/33, Blanquefort 32/33).
    for name in ("Mérignac", "Blanquefort", "Allonnes"):
        rows_of = out[rows["name"] == name]
        assert len(rows_of) and (rows_of["status"] == "quarantined").all(), name
        assert rows_of["reason"].str.startswith("ambiguous").all(), name
    # The transcriber's notes, applied through overrides.csv.
    by_name = dict(zip(rows["name"], out["code"]))
    assert by_name["Ambroise"] == commune_code(ref, "Amboise", "37")
    assert by_name["Castanet-Trojan"] == commune_code(ref, "Castanet-Tolosan", "31")
    assert by_name["métropole de Strasbourg"] == epci_siren(ref, "Eurométropole de Strasbourg")
    assert by_name["Notre-Dame-de-Gravenchon"] == commune_code(ref, "Port-Jérôme-sur-Seine", "76")


def test_territoire_named_as_a_commune_is_decided_as_a_commune(resolver):
    """A «territoire» whose name has no EPCI word and matches no EPCI but one commune is that
    commune (it used to look the commune's code up among the EPCI and crash)."""
    res = resolver.resolve("Issy-les-Moulineaux", "92", "territoire", 2006)
    assert (res.status, res.code, res.entity) == ("resolved", "92040", "commune")
