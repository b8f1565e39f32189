"""Full-size benchmark of the main job on the calibrated SYNTHETIC palmarès: a cold run, one
more edition ingested, a run with no change.

    .venv/bin/python benchmarks/fullscale_benchmark.py [--root /tmp/palmares-fullscale]
        [--json out.json] [--keep] [--explain] [--editions N] [--scale F] [--seed 2026]

A scratch root outside the checkout gets the calibrated synthetic palmarès of
`benchmarks/synthetic_root.py` (every edition of its published size) without its last edition.
The real command line (`.venv/bin/palmares`, `PALMARES_ROOT` set) then runs, each command a
subprocess timed and watched:

1. `palmares run`, cold;
2. `palmares ingest` of the held-back last edition, written as an XLSX file the way the
   association would send it (title rows, French headers, no INSEE codes: names are resolved),
   then `palmares run`;
3. `palmares run` with no change (with --explain, then again without: --explain judges every
   job, a plain run stops at the stamp of the last run).

For each command: wall time, the pages executed and up to date (read from the line the CLI
prints, "notebooks: N executed, M up to date"), and the peak memory of the whole process tree
(the CLI, its notebook kernels, the PDF printer): the sum of the resident set sizes of every
process of the tree, sampled every 0.2 s (shared pages count once per process, so the sum
overstates what the tree really holds). Only the CLI's output is relied on, never its internals.

The results go to stdout as Markdown (the CLI's own output to stderr) and, with --json, to a
file; both say SYNTHETIC. Each command is flagged when pipeline/ changed around it (a change of
code reruns everything). --explain counts why pages ran (`palmares run --explain`). The scratch
root is removed at the end unless --keep or a command failed. --editions and --scale shrink
the palmarès to test this script quickly; their figures are not the benchmark's.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script
from benchmarks import synthetic_root
from pipeline.io import atomic_path, file_sha256, write_text
from pipeline.paths import DEFAULT_ROOT

CLI = DEFAULT_ROOT / ".venv" / "bin" / "palmares"
DEFAULT_SCRATCH = Path(tempfile.gettempdir()) / "palmares-fullscale"
SAMPLE_SECONDS = 0.2
MIB = 1024 * 1024

#: Headers of the file the association sends, as `read_palmares` knows them (HEADER_SPELLINGS).
#: Source and note keep the synthetic flag: a warehouse mixing flagged and unflagged rows is
#: refused by the analyses.
ASSOCIATION_HEADERS = {
    "edition": "Année",
    "name": "Collectivité",
    "departement": "Dépt",
    "kind": "Catégorie",
    "arobases": "Nb @",
    "source_url": "Source",
    "note": "Remarque",
}

#: "[6/7] notebooks: 181 executed, 0 up to date (442.0 s)", one line per step of the CLI.
STEP_LINE = re.compile(r"^\[\d+/\d+\] (?P<step>[^:]+): (?P<detail>.*) \((?P<seconds>[\d.,]+) s\)$")
#: "run   editions/2026.html: pipeline/ code changed; output missing (...)" (`run --explain`).
EXPLAINED_RUN = re.compile(r"^run\s+\S+: (?P<why>.+)$")
PAGES = re.compile(
    r"(?P<executed>[\d,]+) executed, (?P<up_to_date>[\d,]+) up to date(?:, (?P<failed>[\d,]+))?"
)


def select_palmares(
    laureates: pd.DataFrame, editions: int | None, scale: float, seed: int
) -> pd.DataFrame:
    """The last `editions` editions (all if None) of the palmarès, and of them the rows of a
    seeded `scale` share of the collectivities."""
    years = sorted(laureates["edition"].unique())
    kept = laureates[laureates["edition"].isin(years[-editions:] if editions else years)]
    if scale < 1:
        codes = np.sort(kept["code"].unique())
        chosen = np.random.default_rng(seed).choice(
            codes, max(1, round(len(codes) * scale)), replace=False
        )
        kept = kept[kept["code"].isin(chosen)]
    return kept.reset_index(drop=True)


def split_last_edition(laureates: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The palmarès without its last edition, and that edition's rows."""
    last = laureates["edition"] == laureates["edition"].max()
    return laureates[~last].reset_index(drop=True), laureates[last].reset_index(drop=True)


def write_association_file(rows: pd.DataFrame, folder: Path) -> Path:
    """One edition's rows as the association sends them: an XLSX whose first sheet has a title,
    a blank row, then the table with French headers and no INSEE code."""
    year = int(rows["edition"].iloc[0])
    table = rows[list(ASSOCIATION_HEADERS)].rename(columns=ASSOCIATION_HEADERS)
    table["Catégorie"] = table["Catégorie"].str.capitalize()
    target = folder / f"SYNTHETIC-palmares-{year}.xlsx"
    with atomic_path(target) as staged, pd.ExcelWriter(staged, engine="openpyxl") as writer:
        table.to_excel(writer, sheet_name=f"Palmarès {year}", startrow=2, index=False)
        writer.sheets[f"Palmarès {year}"]["A1"] = (
            f"Palmarès {year} Territoires, Villes et Villages Internet — SYNTHETIC "
            "(données générées, aucun vrai lauréat)"
        )
    return target


class TreeMemory:
    """Peak resident memory of a process and all its descendants, sampled in a thread."""

    def __init__(self, pid: int):
        self.process = psutil.Process(pid)
        self.peak_bytes = 0
        self.peak_processes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _watch(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(SAMPLE_SECONDS)

    def sample(self) -> None:
        try:
            tree = [self.process, *self.process.children(recursive=True)]
        except psutil.NoSuchProcess:
            return
        total = 0
        for process in tree:
            try:
                total += process.memory_info().rss
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue  # ended between listing and reading
        self.peak_bytes = max(self.peak_bytes, total)
        self.peak_processes = max(self.peak_processes, len(tree))


def run_cli(arguments: list[str], root: Path) -> dict:
    """Run `palmares ARGUMENTS` in `root`, echoing its output to stderr: wall time, exit code,
    peak memory of its process tree and the steps it printed."""
    environment = {**os.environ, "PALMARES_ROOT": str(root), "PYTHONUNBUFFERED": "1"}
    lines = []
    started = time.perf_counter()
    child = subprocess.Popen(
        [str(CLI), *arguments],
        cwd=root,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    with TreeMemory(child.pid) as memory:
        for line in child.stdout:
            print(f"    | {line}", end="", file=sys.stderr, flush=True)
            lines.append(line.rstrip("\n"))
        returncode = child.wait()
    seconds = time.perf_counter() - started
    steps = parse_steps(lines)
    return {
        "command": " ".join(["palmares", *(Path(a).name for a in arguments)]),
        "seconds": round(seconds, 2),
        "returncode": returncode,
        "peak_mib": round(memory.peak_bytes / MIB),
        "peak_processes": memory.peak_processes,
        **pages_of(steps),
        "steps": steps,
        "why_run": reasons_of(lines),
    }


def parse_steps(lines: list[str]) -> dict[str, dict]:
    """The steps the CLI printed: name → its detail and seconds."""
    steps = {}
    for line in lines:
        match = STEP_LINE.match(line.strip())
        if match:
            steps[match["step"]] = {
                "detail": match["detail"],
                "seconds": float(match["seconds"].replace(",", "")),
            }
    return steps


def pages_of(steps: dict[str, dict]) -> dict:
    """Pages executed, up to date and failed, from the notebooks step (None when not printed:
    `palmares ingest` runs no notebook)."""
    match = PAGES.search(steps.get("notebooks", {}).get("detail", ""))
    if not match:
        return {"executed": None, "up_to_date": None, "failed": None}
    return {key: int((value or "0").replace(",", "")) for key, value in match.groupdict().items()}


def reasons_of(lines: list[str]) -> dict[str, int]:
    """Why pages ran, as `palmares run --explain` says: reason → pages, most frequent first,
    codes and years replaced by # ("rows of # in laureates changed"; empty without --explain)."""
    reasons = Counter(
        re.sub(r"\w*\d\w*", "#", reason)
        for line in lines
        if (match := EXPLAINED_RUN.match(line))
        for reason in match["why"].split("; ")
    )
    return dict(reasons.most_common())


def code_fingerprint() -> str:
    """Hash of the pipeline's code, to tell whether someone changed it during the benchmark
    (a change of code reruns every notebook)."""
    digest = hashlib.sha256()
    for path in sorted((DEFAULT_ROOT / "pipeline").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(f"{path.relative_to(DEFAULT_ROOT)}:{file_sha256(path)}\n".encode())
    return digest.hexdigest()


def machine_facts() -> dict:
    """Date, commit, cores, memory and Python of this run."""

    def git(*arguments: str) -> str:
        return subprocess.run(
            ["git", "-C", str(DEFAULT_ROOT), *arguments], capture_output=True, text=True
        ).stdout.strip()

    modified = subprocess.run(
        ["git", "-C", str(DEFAULT_ROOT), "diff", "--quiet", "HEAD"]
    ).returncode
    untracked = git("ls-files", "--others", "--exclude-standard", "pipeline", "notebooks")
    return {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "commit": git("rev-parse", "--short=12", "HEAD"),
        "uncommitted_changes": modified != 0 or bool(untracked),
        "cores_logical": psutil.cpu_count(logical=True),
        "cores_physical": psutil.cpu_count(logical=False),
        "memory_gib": round(psutil.virtual_memory().total / 1024**3, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def benchmark(
    root: Path, editions: int | None, scale: float, seed: int, explain: bool = False
) -> dict:
    """Write the scratch root, run the three phases (`run --explain` if `explain`); return
    every figure."""
    machine = machine_facts()  # date and commit at the start
    started = time.perf_counter()
    palmares = select_palmares(synthetic_root.canonical_laureates(seed), editions, scale, seed)
    before, held_back = split_last_edition(palmares)
    year = int(held_back["edition"].iloc[0])
    remark = (
        f"Edition {year} held back: benchmarks/fullscale_benchmark.py ingests it as a file."
        + (
            f" Cut for a test of the script: last {editions or 'all'} editions, "
            f"{scale:.0%} of the collectivities."
            if editions or scale < 1
            else ""
        )
    )
    synthetic_root.write_root(root, seed, laureates=before, remark=remark)
    incoming = write_association_file(held_back, root / "incoming")
    setup_seconds = time.perf_counter() - started

    phases, fingerprints = [], [code_fingerprint()]  # before each command, and after the last
    run = ["run", "--explain"] if explain else ["run"]
    for phase, arguments in (
        ("1. cold", run),
        (f"2. edition {year} added", ["ingest", str(incoming)]),
        (f"2. edition {year} added", run),
        ("3. no change", run),
        # --explain judges every job; a plain run stops at the last run's stamp
        *([("3. no change, without --explain", ["run"])] if explain else []),
    ):
        print(f"== {phase}: palmares {' '.join(arguments)}", file=sys.stderr, flush=True)
        phases.append({"phase": phase, **run_cli(arguments, root)})
        fingerprints.append(code_fingerprint())
        if phases[-1]["returncode"] != 0 and arguments[0] == "ingest":
            break  # the rest would measure the palmarès without the new edition
    for phase, after in zip(phases, fingerprints[1:]):  # pages may rerun for any change since
        phase["code_changed"] = after != fingerprints[0]
    return {
        "synthetic": True,
        "label": "SYNTHETIC palmarès: calibrated, generated by benchmarks/synthetic.py, "
        "not real laureates",
        "machine": machine,
        "palmares": {
            "seed": seed,
            "published_totals": editions is None and scale == 1,
            "editions_cut": editions,
            "scale": scale,
            "rows_before": len(before),
            "editions_before": [int(e) for e in sorted(before["edition"].unique())],
            "collectivities_before": int(before["code"].nunique()),
            "held_back_edition": year,
            "held_back_rows": len(held_back),
            "held_back_file": incoming.name,
            "collectivities_after": int(palmares["code"].nunique()),
        },
        "root": str(root),
        "setup_seconds": round(setup_seconds, 1),
        "phases": phases,
    }


def duration(seconds: float) -> str:
    text = f"{seconds:,.1f} s"
    return text if seconds < 60 else f"{text} ({int(seconds // 60)} min {seconds % 60:02.0f} s)"


def count(value: int | None) -> str:
    return "–" if value is None else f"{value:,}"


def markdown(results: dict) -> str:
    """The results as Markdown: facts, one table row per command, the CLI's steps."""
    machine, data = results["machine"], results["palmares"]
    editions = data["editions_before"]
    lines = [
        "# Full-size benchmark of `palmares run` — SYNTHETIC palmarès",
        "",
        f"**{results['label']}** (seed {data['seed']}).",
        "",
        f"- Date: {machine['date']}; commit {machine['commit']}"
        + (" with uncommitted changes" if machine["uncommitted_changes"] else ""),
        f"- Machine: {machine['cores_logical']} logical cores ({machine['cores_physical']} "
        f"physical), {machine['memory_gib']} GiB RAM, {machine['platform']}, "
        f"Python {machine['python']}",
        f"- Palmarès: {data['rows_before']:,} rows, {data['collectivities_before']:,} "
        f"collectivities, {len(editions)} editions {editions[0]}-{editions[-1]}; then edition "
        f"{data['held_back_edition']} ingested as {data['held_back_file']} "
        f"({data['held_back_rows']:,} rows; {data['collectivities_after']:,} collectivities "
        "in all)",
        "- Every edition at its published total"
        if data["published_totals"]
        else f"- **Cut for a test of the script** (last {data['editions_cut'] or 'all'} editions, "
        f"{data['scale']:.0%} of the collectivities): not the benchmark's figures",
        f"- Scratch root {results['root']}, written in {results['setup_seconds']} s (not timed "
        "below)",
        "",
        "| Phase | Command | Wall time | Pages executed | Pages up to date | Peak memory "
        "(process tree, RSS sum) | Peak processes | Exit code |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for phase in results["phases"]:
        failed = f" ({phase['failed']} failed)" if phase["failed"] else ""
        changed = " (code changed)" if phase["code_changed"] else ""
        lines.append(
            f"| {phase['phase']}{changed} | `{phase['command']}` | {duration(phase['seconds'])} | "
            f"{count(phase['executed'])}{failed} | {count(phase['up_to_date'])} | "
            f"{phase['peak_mib']:,} MiB | {phase['peak_processes']} | {phase['returncode']} |"
        )
        together = [other for other in results["phases"] if other["phase"] == phase["phase"]]
        if len(together) > 1 and phase is together[-1]:
            lines.append(
                f"| {phase['phase']}, in all | | "
                f"{duration(sum(other['seconds'] for other in together))} | | | "
                f"{max(other['peak_mib'] for other in together):,} MiB | | |"
            )
    lines += ["", "Steps as the CLI printed them:", ""]
    for phase in results["phases"]:
        steps = "; ".join(
            f"{name} {step['seconds']:,.1f} s ({step['detail']})"
            for name, step in phase["steps"].items()
        )
        why = ", ".join(f"{reason} ×{pages:,}" for reason, pages in phase["why_run"].items())
        lines.append(
            f"- {phase['phase']}, `{phase['command']}`: {steps or 'none printed'}"
            + (f"; why pages ran: {why}" if why else "")
        )
    if any(phase["code_changed"] for phase in results["phases"]):
        lines += [
            "",
            "**Warning**: «code changed»: at the end of this command pipeline/ differed from what "
            "it was when the benchmark started (someone editing the checkout?). A change of code "
            "rebuilds and reruns everything: these rows are not comparable.",
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--root",
        type=Path,
        default=Path(os.environ.get("PALMARES_ROOT", DEFAULT_SCRATCH)),
        help=f"scratch project root, outside the checkout (default: $PALMARES_ROOT or "
        f"{DEFAULT_SCRATCH}); replaced whole",
    )
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    parser.add_argument("--keep", action="store_true", help="keep the scratch root afterwards")
    parser.add_argument(
        "--editions", type=int, help="only the last N editions (N ≥ 2; a test of the script)"
    )
    parser.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="share of the collectivities kept, 0 to 1 (a test of the script)",
    )
    parser.add_argument(
        "--explain", action="store_true", help="run `palmares run --explain`: why pages ran"
    )
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    if args.editions is not None and args.editions < 2:
        parser.error("--editions: at least 2 (the last one is ingested)")
    if not 0 < args.scale <= 1:
        parser.error("--scale: a share above 0 and at most 1")
    if not CLI.is_file():
        parser.error(f"{CLI} is missing: run `make run` or `make test` once to install it")
    root = synthetic_root.check_root(args.root)

    results = benchmark(root, args.editions, args.scale, args.seed, args.explain)
    if args.json:
        write_text(args.json, json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(markdown(results))
    succeeded = all(phase["returncode"] == 0 for phase in results["phases"])
    if args.keep or not succeeded:  # a failure is read in the root's reports/
        print(f"\nScratch root kept: {root}", file=sys.stderr)
    else:
        shutil.rmtree(root)
    return 0 if succeeded else 1


if __name__ == "__main__":
    sys.exit(main())
