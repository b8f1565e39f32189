"""`palmares run`'s notebook runner vs the straightforward papermill + nbconvert CLI loop.

    .venv/bin/python benchmarks/runner_benchmark.py [--editions 4] [--collectivities 12]

Both execute the same notebooks with the same parameter sets on the same warehouse (built once
from the committed data/raw in a throw-away root): `overview`, `continuity`, `geography`,
`illectronism`, `edition` for the last N editions held and `collectivity` for the first M
labelled collectivities.

- Ours: `pipeline.run.run` (papermill API in one process, warm kernels in parallel as
  pipeline.toml sets, pages rendered in-process), cold (--force: warehouse and geometry cache
  rebuilt too), every page again on the same warehouse (the run state removed: what the CLI
  loop does), then again with no change.
- The overhead of a page: every job run again one after the other in one warm kernel, as
  `palmares run` does; its wall time (execute, render, write the page, reset the kernel) less
  the time its cells took in the kernel (papermill's per-cell durations).
- Straightforward, per notebook and parameter set, sequentially: `papermill IN OUT -p ...` then
  `jupyter nbconvert --to html --no-input OUT` (each a new Python process), which is what a
  user would script; it has no notion of "no change", so it redoes everything each time.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from pipeline.build.lock import build_lock
from pipeline.build.steps import BUILD_STEPS, Progress, build
from pipeline.build.warehouse import connect_read_only
from pipeline.paths import DEFAULT_ROOT, Paths
from pipeline.run import freshness, jobs, pipeline_toml
from pipeline.run.main_job import run
from pipeline.run.pages import PageProducer


def benchmark_config(paths: Paths, editions: int, collectivities: int) -> None:
    """The project's pipeline.toml with `only` cutting the editions and collectivities."""
    with connect_read_only(paths) as con:
        held = [
            e
            for (e,) in con.execute("SELECT DISTINCT edition FROM laureates ORDER BY 1").fetchall()
        ]
        codes = [
            c for (c,) in con.execute("SELECT DISTINCT code FROM laureates ORDER BY 1").fetchall()
        ]
    text = (DEFAULT_ROOT / pipeline_toml.CONFIG_NAME).read_text("utf-8")
    for name, values in (("edition", held[-editions:]), ("collectivity", codes[:collectivities])):
        text = re.sub(
            f'^for_each = "{name}"$',
            f"\\g<0>\nonly = {json.dumps(values)}",
            text,
            flags=re.MULTILINE,
        )
    (paths.root / pipeline_toml.CONFIG_NAME).write_text(text, "utf-8")


def straightforward(paths: Paths, out: Path) -> float:
    """papermill then nbconvert, one CLI call each, per job, one after the other."""
    config = pipeline_toml.read_config(paths.root / pipeline_toml.CONFIG_NAME)
    with connect_read_only(paths) as con:
        expanded = pipeline_toml.expand(
            config,
            paths.notebooks,
            con,
            jobs.notebook_paths(paths),
            paths.root / pipeline_toml.CONFIG_NAME,
        )
    bin_dir = Path(sys.executable).parent
    started = time.perf_counter()
    for number, job in enumerate(expanded):
        executed = out / f"{number}-{job.notebook}.ipynb"
        arguments = [
            str(bin_dir / "papermill"),
            str(job.source),
            str(executed),
            "--cwd",
            str(paths.notebooks),
        ]
        for name, value in job.parameters.items():  # -r: raw text ("06088" stays a code)
            option = (
                "-r"
                if isinstance(value, str)
                else "-y"
                if isinstance(value, (bool, list))
                else "-p"
            )
            arguments += [
                option,
                name,
                str(value).lower() if isinstance(value, bool) else str(value),
            ]
        subprocess.run(arguments, check=True, capture_output=True)
        subprocess.run(
            [str(bin_dir / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(executed)],
            check=True,
            capture_output=True,
        )
    return time.perf_counter() - started


def page_overhead(paths: Paths) -> dict[str, list[tuple[float, float]]]:
    """(wall, cells) seconds of each job run in one warm kernel, by notebook; the kernel is
    started and its imports learned before the first timed job."""
    import nbformat

    config = pipeline_toml.read_config(paths.root / pipeline_toml.CONFIG_NAME)
    plan = jobs.plan(paths, config, force=True)
    producer = PageProducer(paths, plan.jobs)
    timings: dict[str, list[tuple[float, float]]] = {}
    with producer.worker_session():
        for job in plan.jobs[:2]:  # warm-up, learning what the jobs import beyond it
            producer(job)
        for job in plan.jobs:
            started = time.perf_counter()
            producer(job)
            wall = time.perf_counter() - started
            executed = nbformat.read(paths.reports / job.executed, as_version=4)
            cells = sum(cell.metadata.papermill.get("duration") or 0 for cell in executed.cells)
            timings.setdefault(job.notebook, []).append((wall, cells))
    return timings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--editions", type=int, default=4)
    parser.add_argument("--collectivities", type=int, default=12)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="runner-bench-") as tmp:
        paths = Paths(Path(tmp))
        (paths.root / "data").mkdir()
        shutil.copytree(DEFAULT_ROOT / "data" / "raw", paths.raw)
        shutil.copytree(DEFAULT_ROOT / "notebooks", paths.notebooks)
        os.environ["PALMARES_ROOT"] = str(paths.root)
        with build_lock(paths):  # warehouse and geometry cache, as `make run` leaves them
            build(paths, Progress(BUILD_STEPS, report=lambda line: None))
        benchmark_config(paths, args.editions, args.collectivities)
        run(paths, report=lambda line: None)  # once, so both sides start with warm disk caches

        started = time.perf_counter()
        outcome = run(paths, report=lambda line: None, force=True)
        ours_cold = time.perf_counter() - started
        (paths.reports / freshness.STATE_NAME).unlink()  # every page again, same warehouse
        started = time.perf_counter()
        run(paths, report=lambda line: None)
        ours_pages = time.perf_counter() - started
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "pipeline.cli", "run"], check=True, capture_output=True
        )
        ours_unchanged = time.perf_counter() - started
        runs = len(outcome.executed)
        overhead = page_overhead(paths)

        out = paths.root / "straightforward"
        out.mkdir()
        naive = straightforward(paths, out)

    print(
        f"{runs} notebook runs (4 studies, {args.editions} editions, "
        f"{args.collectivities} collectivities)"
    )
    print(f"ours, cold (--force, incl. warehouse rebuild): {ours_cold:7.1f} s")
    print(f"ours, every page, warehouse kept (no rebuild): {ours_pages:7.1f} s")
    print(f"ours, no change (whole `palmares run`):        {ours_unchanged:7.2f} s")
    print(f"papermill + nbconvert CLI, sequential:         {naive:7.1f} s")
    print(
        f"ratio cold: {naive / ours_cold:.1f}x   every page: {naive / ours_pages:.1f}x   "
        f"no change: {naive / ours_unchanged:.0f}x"
    )
    print("per page, one warm kernel (mean s): notebook, jobs, wall, cells, overhead")
    for name, pairs in overhead.items():
        wall = sum(w for w, _ in pairs) / len(pairs)
        cells = sum(c for _, c in pairs) / len(pairs)
        print(f"  {name:14} {len(pairs):3} {wall:6.2f} {cells:6.2f} {wall - cells:6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
