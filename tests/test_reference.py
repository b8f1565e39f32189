"""The committed reference geography is right, and a damaged copy of it is refused by name."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from pipeline.build.sources.reference import (
    MANIFEST,
    TABLES,
    read_reference,
    reference_sources,
    schema_columns,
)
from pipeline.errors import InputError
from pipeline.paths import DEFAULT_ROOT, Paths

REF_DIR = Paths(DEFAULT_ROOT).reference


@pytest.fixture(scope="module")
def ref(reference) -> dict[str, pd.DataFrame]:
    """conftest's session-wide read of the committed reference, under this module's name."""
    return reference


@pytest.fixture
def ref_copy(tmp_path) -> Path:
    """A copy of the committed reference that a test may damage."""
    return Path(shutil.copytree(REF_DIR, tmp_path / "reference"))


def current_codes(ref) -> set[str]:
    commune = ref["commune"]
    return set(commune.loc[commune.commune_kind == "commune", "commune_code"])


def one_commune(ref, code: str) -> pd.Series:
    commune = ref["commune"]
    rows = commune[(commune.commune_code == code) & (commune.commune_kind == "commune")]
    assert len(rows) == 1, code
    return rows.iloc[0]


# --- The data ------------------------------------------------------------------------------


def test_every_1999_commune_code_maps_to_exactly_one_current_commune(ref):
    history = ref["commune_history"]
    day = pd.Timestamp("1999-01-01")
    valid = history[
        (history.version_kind == "COM")
        & (history.start_date.isna() | (history.start_date <= day))
        & (history.end_date.isna() | (history.end_date > day))
    ]
    codes = set(valid.commune_code)
    assert len(codes) > 36_000  # about 36 700 communes in 1999
    code_map = ref["commune_code_map"]
    targets = code_map[code_map.old_code.isin(codes)].groupby("old_code").commune_code.agg(set)
    assert set(targets.index) == codes
    assert (targets.map(len) == 1).all(), targets[targets.map(len) != 1]
    assert set().union(*targets) <= current_codes(ref)


def test_code_map_targets_are_current_communes(ref):
    assert set(ref["commune_code_map"].commune_code) <= current_codes(ref)


def test_present_chef_lieu_wins_over_outdated_links(ref):
    """Codes whose older links (anciensCodes, 2019 history) point elsewhere than today's COG."""
    code_map = ref["commune_code_map"].set_index("old_code").commune_code
    assert code_map["55273"] == "55386"  # Lamarche-en-Woëvre, associated to Nonsard-Lamarche
    assert code_map["60455"] == "60694"  # La Neuville-Garnier, delegated of Les Hauts-Talican
    assert code_map["85212"] == "85212"  # Sainte-Florence, left Essarts-en-Bocage after 2019


def test_la_madeleine_keeps_its_article(ref):
    commune = one_commune(ref, "59368")
    assert commune["name"] == "La Madeleine"
    assert commune.article_code == 3
    assert (commune.departement_code, commune.region_code) == ("59", "32")


def test_la_rochelle_homonyms_are_distinct(ref):
    haute_saone, charente_maritime = one_commune(ref, "70450"), one_commune(ref, "17300")
    assert haute_saone["name"] == charente_maritime["name"] == "La Rochelle"
    assert (haute_saone.departement_code, charente_maritime.departement_code) == ("70", "17")


def test_drom_departements(ref):
    departement = ref["departement"].set_index("departement_code")
    drom = ["971", "972", "973", "974", "976"]
    assert set(drom) <= set(departement.index)
    assert (departement.loc[drom, "zone"] == "drom").all()


def test_epci_members_are_current_communes(ref):
    members = ref["epci_member"]
    assert set(members.commune_code) <= current_codes(ref)
    assert set(members.epci_siren) == set(ref["epci"].epci_siren)


def test_current_communes_have_their_departement_and_region(ref):
    commune = ref["commune"]
    departement = ref["departement"].set_index("departement_code")
    current = commune[commune.commune_kind == "commune"]
    assert set(current.departement_code) <= set(departement.index)
    assert set(current.region_code) <= set(ref["region"].region_code)
    assert (
        departement.loc[current.departement_code, "region_code"].to_numpy()
        == current.region_code.to_numpy()
    ).all()


def test_delegated_and_associated_communes_belong_to_a_current_commune(ref):
    commune = ref["commune"]
    parts = commune[commune.commune_kind != "commune"]
    assert len(parts) > 2_000
    assert set(parts.chef_lieu_code) <= current_codes(ref)


def test_columns_and_types_follow_the_schema(ref):
    for table in TABLES:
        assert list(ref[table].columns) == [col.name for col in schema_columns()[table]]
    history = ref["commune_history"]
    merged = history[history.member_ids.notna()].iloc[0]
    assert isinstance(merged.member_ids, list) and len(merged.member_ids) > 1
    assert pd.api.types.is_datetime64_any_dtype(history.start_date)


def test_sources_describe_every_file():
    sources = reference_sources(REF_DIR)
    assert [s["path"] for s in sources] == [f"data/raw/reference/{t}.csv" for t in TABLES]
    for source in sources:
        assert list(source) == [col.name for col in schema_columns()["source"]]
        assert (DEFAULT_ROOT / source["path"]).stat().st_size == source["size_bytes"]


# --- Damaged copies ------------------------------------------------------------------------


def rewrite(ref_dir: Path, name: str, change: Callable[[str], str]) -> None:
    """Edit a file and record its new checksum, so the check after the checksum fires."""
    path = ref_dir / name
    path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")
    manifest = json.loads((ref_dir / MANIFEST).read_text(encoding="utf-8"))
    for entry in manifest["files"]:
        if entry["path"] == name:
            entry["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    (ref_dir / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")


def test_missing_file(ref_copy):
    (ref_copy / "epci.csv").unlink()
    with pytest.raises(InputError, match=r"epci\.csv: missing"):
        read_reference(ref_copy)


def test_missing_manifest(ref_copy):
    (ref_copy / MANIFEST).unlink()
    with pytest.raises(InputError, match=r"manifest\.json: missing"):
        read_reference(ref_copy)


def test_altered_bytes_fail_the_checksum(ref_copy):
    path = ref_copy / "commune.csv"
    path.write_bytes(path.read_bytes().replace(b"La Madeleine", b"Madeleine", 1))
    with pytest.raises(InputError, match=r"commune\.csv: sha256 .* corrupted or was edited"):
        read_reference(ref_copy)


def test_missing_column(ref_copy):
    def drop_zone(text: str) -> str:
        return "\n".join(line.rsplit(",", 1)[0] for line in text.splitlines()) + "\n"

    rewrite(ref_copy, "region.csv", drop_zone)
    with pytest.raises(InputError, match=r"region\.csv: .*missing column\(s\) zone"):
        read_reference(ref_copy)


def test_unparsable_value_names_its_row(ref_copy):
    rewrite(ref_copy, "epci.csv", lambda text: text.replace(",FPU,", ",FPU,12x", 1))
    with pytest.raises(InputError, match=r"epci\.csv, row \d+: column population") as error:
        read_reference(ref_copy)
    assert error.value.row is not None
