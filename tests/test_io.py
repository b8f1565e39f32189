"""pipeline.io: a file or folder is replaced whole or not at all, and no temporary is left."""

from __future__ import annotations

import pytest

from pipeline import io

ABC_SHA256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"  # FIPS 180-2


class Crash(Exception):
    """Raised inside a write, as a full disk or a failing writer would."""


def names(folder) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def test_atomic_path_replaces_the_target_on_success(tmp_path):
    target = tmp_path / "deep" / "page.html"
    with io.atomic_path(target) as tmp:
        assert tmp.parent == target.parent and tmp.name.startswith(".page.html.")
        assert tmp.suffix == ".html"  # writers choosing a format by suffix see the target's
        assert not target.exists()  # nothing visible until the block ends
        tmp.write_text("new", "utf-8")
    assert target.read_text("utf-8") == "new"
    assert names(target.parent) == ["page.html"]


@pytest.mark.parametrize("existing", [True, False], ids=["previous-file", "no-file"])
def test_an_error_in_the_block_leaves_the_target_untouched_and_no_temporary(tmp_path, existing):
    target = tmp_path / "table.csv"
    if existing:
        target.write_text("old", "utf-8")
    with pytest.raises(Crash), io.atomic_path(target) as tmp:
        tmp.write_text("half a fi", "utf-8")
        raise Crash
    assert names(tmp_path) == (["table.csv"] if existing else [])
    if existing:
        assert target.read_text("utf-8") == "old"


def test_write_text_and_bytes(tmp_path):
    io.write_text(tmp_path / "a" / "note.md", "Villes Internet : 5 @, Sèvres\n")
    assert (tmp_path / "a" / "note.md").read_bytes() == "Villes Internet : 5 @, Sèvres\n".encode()
    io.write_bytes(tmp_path / "a" / "note.md", b"\x00\xff")
    assert (tmp_path / "a" / "note.md").read_bytes() == b"\x00\xff"
    assert names(tmp_path / "a") == ["note.md"]


def test_atomic_dir_replaces_a_folder_whole(tmp_path):
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "old.csv").write_text("old", "utf-8")
    (pack / "kept.csv").write_text("old", "utf-8")
    with io.atomic_dir(pack) as staging:
        assert names(staging) == [] and staging.parent == tmp_path
        (staging / "kept.csv").write_text("new", "utf-8")
        assert names(pack) == ["kept.csv", "old.csv"]  # the old pack until the end
    assert names(pack) == ["kept.csv"]  # a file the new pack lacks does not survive
    assert (pack / "kept.csv").read_text("utf-8") == "new"
    assert names(tmp_path) == ["pack"]  # neither staging nor the retired folder is left


@pytest.mark.parametrize("existing", [True, False], ids=["previous-folder", "no-folder"])
def test_an_error_in_atomic_dir_keeps_the_previous_folder(tmp_path, existing):
    pack = tmp_path / "pack"
    if existing:
        pack.mkdir()
        (pack / "old.csv").write_text("old", "utf-8")
    with pytest.raises(Crash), io.atomic_dir(pack) as staging:
        (staging / "new.csv").write_text("new", "utf-8")
        raise Crash
    assert names(tmp_path) == (["pack"] if existing else [])
    if existing:
        assert names(pack) == ["old.csv"]


def test_hashes(tmp_path):
    (tmp_path / "abc").write_bytes(b"abc")
    assert io.file_sha256(tmp_path / "abc") == io.bytes_sha256(b"abc") == ABC_SHA256
