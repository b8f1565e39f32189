"""The software a build ran with: the Python version, every installed library, and the lock.

`make run` and `make test` install exactly the versions of `requirements/lock.txt` and
`no-deps.txt`, with their hashes; `make lab` those of `lab.txt` and `no-deps.txt`. What is
installed is read here, never assumed: the build records it in `build_info`, every page's
footer lists it, and the code fingerprint includes it, so that a library upgrade rebuilds the
warehouse and reruns the pages. Standard library only: the run stamp computes the
fingerprint before anything heavy is imported.

`python -m pipeline.environment [lab]` checks the running environment against its lock (as
`pip freeze` against it would) and exits non-zero on any difference.
"""

from __future__ import annotations

import hashlib
import platform
import re
import sys
from functools import cache
from importlib import metadata
from pathlib import Path

#: The files each environment is installed from, in order (see the Makefile).
LOCKS = {
    "main": ("requirements/lock.txt", "requirements/no-deps.txt"),
    "lab": ("requirements/lab.txt", "requirements/no-deps.txt"),
}
#: The installer's own tools, present in every virtual environment whatever the lock says.
INSTALLER = {"pip"}
#: This project, installed in editable mode from the checkout (its version is the commit's).
PROJECT = "palmares-villes-internet"
#: The checkout the package runs from (editable install): where its lock files are.
CHECKOUT = Path(__file__).resolve().parent.parent
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", re.MULTILINE)


def normalise(name: str) -> str:
    """A distribution name as PyPI compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


@cache
def installed() -> dict[str, str]:
    """Name → version of every distribution in the running environment, but this project."""
    found = dict(map(_name_and_version, metadata.distributions()))
    found.pop(normalise(PROJECT), None)
    return dict(sorted(found.items()))


def _name_and_version(dist: metadata.Distribution) -> tuple[str, str]:
    """From a `name-version.dist-info` folder's name, as installers write it: parsing every
    METADATA file would take a no-change run 0.15 s."""
    folder = Path(str(getattr(dist, "_path", "")))
    if folder.suffix == ".dist-info" and folder.stem.count("-") == 1:
        name, version = folder.stem.split("-")
        return normalise(name), version
    return normalise(dist.metadata["Name"]), dist.version


def locked(lock: str = "main", root: Path = CHECKOUT) -> dict[str, str]:
    """Name → version pinned by a lock's files under `root`, or {} without them."""
    pins = {}
    for relative in LOCKS[lock]:
        path = root / relative
        if path.is_file():
            text = path.read_text("utf-8")
            pins.update({normalise(name): version for name, version in _PIN.findall(text)})
    return dict(sorted(pins.items()))


def lock_sha256(lock: str = "main", root: Path = CHECKOUT) -> str | None:
    """One hash for a lock's files together (their bytes, in order), or None without them."""
    paths = [root / relative for relative in LOCKS[lock]]
    if not all(path.is_file() for path in paths):
        return None
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def differences(lock: str = "main", root: Path = CHECKOUT) -> list[str]:
    """What the running environment has that the lock does not say, and the reverse."""
    have, want = installed(), locked(lock, root)
    lines = []
    for name in sorted(set(have) | set(want)):
        if name in INSTALLER:
            continue
        if name not in want:
            lines.append(f"{name}=={have[name]} is installed but not in the lock")
        elif name not in have:
            lines.append(f"{name}=={want[name]} is locked but not installed")
        elif have[name] != want[name]:
            lines.append(f"{name}: {have[name]} installed, {want[name]} locked")
    return lines


def python_version() -> str:
    return f"{platform.python_implementation()} {platform.python_version()}"


@cache
def fingerprint() -> str:
    """Hash of the Python version and every installed library's version."""
    text = "\n".join([python_version(), *(f"{n}=={v}" for n, v in installed().items())])
    return hashlib.sha256(text.encode()).hexdigest()


def matching_lock(root: Path = CHECKOUT) -> str | None:
    """The lock the running environment was installed from exactly, if any."""
    for lock in LOCKS:
        if lock_sha256(lock, root) and not differences(lock, root):
            return lock
    return None


def build_info(root: Path = CHECKOUT) -> dict[str, str]:
    """The environment's part of the warehouse's build_info, shown in every page's footer."""
    lock = matching_lock(root)
    return {
        "python_version": python_version(),
        # An environment that matches no lock is named by the main lock, and said to differ.
        "lock_sha256": lock_sha256(lock or "main", root) or "aucun verrou",
        "lock_matches": "oui" if lock else "non",
        "packages": " ".join(f"{name}=={version}" for name, version in sorted(installed().items())),
    }


def main(argv: list[str]) -> int:
    lock = (argv or ["main"])[0]
    if lock not in LOCKS or lock_sha256(lock) is None:
        print(f"error: no lock {lock!r} in {CHECKOUT} (locks: {', '.join(LOCKS)})", file=sys.stderr)
        return 2
    lines = differences(lock)
    for line in lines:
        print(f"error: {line}", file=sys.stderr)
    if lines:
        print("The environment differs from the lock: `make` reinstalls it.", file=sys.stderr)
        return 1
    count = len(locked(lock))
    print(f"{count} libraries installed, exactly as locked ({python_version()}).")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
