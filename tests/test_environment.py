"""The locked environment: what `make` installs is what the lock says, the lock satisfies
pyproject.toml, and the build records the environment for every page's footer."""

from __future__ import annotations

import tomllib
from importlib import metadata

import pytest
from packaging.requirements import Requirement

from pipeline import environment, io
from pipeline.report import site

PYPROJECT = tomllib.loads((environment.CHECKOUT / "pyproject.toml").read_text("utf-8"))


def test_the_running_environment_is_exactly_the_lock():
    """`make test` installed from the lock: `pip freeze` against it shows no difference."""
    assert environment.lock_sha256() is not None
    assert environment.differences() == []
    assert environment.matching_lock() == "main"


def test_installed_versions_read_from_folder_names_equal_the_metadata():
    slow = {
        environment.normalise(dist.metadata["Name"]): dist.version
        for dist in metadata.distributions()
    }
    slow.pop(environment.PROJECT)
    assert environment.installed() == slow


@pytest.mark.parametrize(
    "lock, extras", [("main", ["test"]), ("lab", ["lab"])], ids=["main", "lab"]
)
def test_each_lock_satisfies_pyproject(lock, extras):
    pins = environment.locked(lock)
    project = PYPROJECT["project"]
    wanted = [*project["dependencies"]]
    for extra in extras:
        wanted += project["optional-dependencies"][extra]
    for text in wanted:
        requirement = Requirement(text)
        name = environment.normalise(requirement.name)
        assert name in pins, f"{name} is in pyproject.toml but not in the {lock} lock"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"{lock} lock: {name}=={pins[name]} does not satisfy {requirement}"
        )


def test_the_lab_has_the_main_environment_s_versions():
    main, lab = environment.locked("main"), environment.locked("lab")
    shared = set(main) & set(lab)
    assert {"pandas", "duckdb", "matplotlib", "papermill"} <= shared
    assert {name: lab[name] for name in shared} == {name: main[name] for name in shared}


def fake_checkout(tmp_path, pins: dict[str, str]):
    requirements = tmp_path / "requirements"
    requirements.mkdir()
    digest = "0" * 64
    lines = [f"{name}=={version} \\\n    --hash=sha256:{digest}" for name, version in pins.items()]
    (requirements / "lock.txt").write_text("# header\n" + "\n".join(lines) + "\n")
    (requirements / "no-deps.txt").write_text("")
    return tmp_path


def test_differences_name_each_missing_extra_and_other_version(tmp_path, monkeypatch):
    monkeypatch.setattr(
        environment, "installed", lambda: {"pip": "24.0", "pandas": "3.0.0", "extra": "1.0"}
    )
    root = fake_checkout(tmp_path, {"pandas": "3.1.1", "Missing_Lib": "2.0"})
    assert environment.locked(root=root) == {"missing-lib": "2.0", "pandas": "3.1.1"}
    assert environment.differences(root=root) == [
        "extra==1.0 is installed but not in the lock",
        "missing-lib==2.0 is locked but not installed",
        "pandas: 3.0.0 installed, 3.1.1 locked",
    ]
    info = environment.build_info(root)
    assert info["lock_matches"] == "non"
    assert info["lock_sha256"] == environment.lock_sha256(root=root)
    assert info["packages"] == "extra==1.0 pandas==3.0.0 pip==24.0"


def test_a_checkout_without_a_lock_says_so(tmp_path):
    info = environment.build_info(tmp_path)
    assert (info["lock_sha256"], info["lock_matches"]) == ("aucun verrou", "non")


def test_a_library_upgrade_changes_the_code_fingerprint(monkeypatch):
    before = io.code_fingerprint.__wrapped__()
    monkeypatch.setattr(environment, "fingerprint", lambda: "another environment")
    assert io.code_fingerprint.__wrapped__() != before


def test_every_page_footer_lists_python_the_lock_and_each_library(tmp_path):
    info = environment.build_info()
    provenance = site.Provenance(
        "abc",
        "2026",
        "now",
        python_version=info["python_version"],
        lock_sha256=info["lock_sha256"],
        lock_matches=True,
        packages=[tuple(pin.split("==")) for pin in info["packages"].split()],
    )
    html = site.write_page(tmp_path, "page.html", "Titre", "<p>x</p>", provenance).read_text()
    footer = html[html.index('<footer class="provenance">') :]
    assert info["python_version"] in footer and info["lock_sha256"][:12] in footer
    assert "installées à l’identique" in footer
    assert f"Bibliothèques installées ({len(environment.installed())})" in footer
    for name, version in environment.installed().items():
        assert f"<td><code>{name}</code></td><td><code>{version}</code></td>" in footer
