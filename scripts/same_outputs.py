"""Show that a refactor keeps the outputs: exports and stats packs byte-identical to a base commit.

    .venv/bin/python scripts/same_outputs.py [BASE]   (BASE: a git revision, default HEAD)

Both the base commit and the working tree are built from the real data in `data/raw/`, each in
its own scratch project root with its own code (PYTHONPATH), then every warehouse table export,
the continuity exports (with and without claims) and the statistics pack of every edition (CSV,
Markdown, and the XLSX cell by cell: its zip holds a timestamp) are fingerprinted and compared.
Exit code 0 when every file is identical, 1 with the list of differences otherwise.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[1]
CLI = "import sys; from pipeline.cli import main; sys.exit(main(sys.argv[1:]))"


def _tree(revision: str | None, into: Path) -> Path:
    """The tracked files of a revision (None: the working tree, uncommitted changes included)."""
    into.mkdir(parents=True)
    if revision is None:
        files = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=CHECKOUT,
            check=True,
            capture_output=True,
        ).stdout.split(b"\0")
        for name in filter(None, files):
            source = CHECKOUT / name.decode()
            if source.is_file():
                (into / name.decode()).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, into / name.decode())
    else:
        archive = subprocess.run(
            ["git", "archive", revision], cwd=CHECKOUT, check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def _palmares(root: Path, *args: str, refused_ok: bool = False) -> str:
    """Run the CLI of this root's code on its data; an exit code 2 (a refused edition) is part
    of the outputs when refused_ok, any other failure stops the comparison."""
    env = {
        "PALMARES_ROOT": str(root),
        "PYTHONPATH": str(root),
        "PATH": "/usr/bin:/bin",
        "HOME": str(root),
    }
    done = subprocess.run(
        [sys.executable, "-c", CLI, *args], cwd=root, env=env, capture_output=True, text=True
    )
    if done.returncode and not (refused_ok and done.returncode == 2):
        raise SystemExit(f"palmares {' '.join(args)} failed in {root}:\n{done.stderr}")
    return done.stdout + done.stderr


def _xlsx_cells(path: Path) -> bytes:
    from openpyxl import load_workbook

    book = load_workbook(path)
    cells = {
        sheet.title: [[cell.value for cell in row] for row in sheet.iter_rows()]
        for sheet in book.worksheets
    }
    return json.dumps(cells, default=str, ensure_ascii=False).encode()


def fingerprint(root: Path) -> dict[str, str]:
    """sha256 of every export and stats-pack file built from this root's code and data."""
    _palmares(root, "build")
    out = root / "outputs"
    listing = _palmares(root, "export", "--list")
    for line in listing.splitlines():
        name, rows = line.split()[:2]
        if rows == "computed":
            _palmares(root, "export", name, "--out", str(out / f"{name}.csv"))
            _palmares(root, "export", name, "--claims", "--out", str(out / f"{name}_claims.csv"))
        else:
            _palmares(root, "export", name, "--out", str(out / f"{name}.csv"))
    for edition in range(1999, 2027):
        said = _palmares(
            root,
            "stats",
            "--edition",
            str(edition),
            "--format",
            "xlsx,csv,md",
            "--out",
            str(out / "stats" / str(edition)),
            refused_ok=True,
        )
        (out / "stats" / f"{edition}.said.txt").write_text(said.replace(str(root), "ROOT"))
    prints = {}
    for file in sorted(out.rglob("*")):
        if file.is_file():
            data = _xlsx_cells(file) if file.suffix == ".xlsx" else file.read_bytes()
            if file.name == "build_info.csv":  # time and code hash move by design
                data = b"\n".join(
                    line
                    for line in data.splitlines()
                    if not line.startswith((b"built_at,", b"input_key,"))
                )
            prints[str(file.relative_to(out))] = hashlib.sha256(data).hexdigest()
    return prints


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", nargs="?", default="HEAD", help="git revision to compare with")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="same-outputs-") as scratch:
        base = fingerprint(_tree(args.base, Path(scratch) / "base"))
        head = fingerprint(_tree(None, Path(scratch) / "head"))
    differ = sorted(name for name in base.keys() | head.keys() if base.get(name) != head.get(name))
    print(f"{len(base)} files from {args.base}, {len(head)} from the working tree")
    for name in differ:
        state = "missing" if name not in head else "new" if name not in base else "differs"
        print(f"  {state}: {name}")
    print("identical" if not differ else f"{len(differ)} file(s) differ")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
