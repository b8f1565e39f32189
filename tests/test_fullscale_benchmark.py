"""benchmarks/fullscale_benchmark.py, the parts that are not timings: the held-back edition
file reads back as sent, the palmarès cuts, the scratch root refusals, what is parsed from the
CLI's output and the memory of a whole process tree."""

from __future__ import annotations

import subprocess
import sys
import time

import pandas as pd
import pytest

from benchmarks import fullscale_benchmark as bench
from benchmarks import synthetic, synthetic_root
from pipeline.build.sources.palmares import read_palmares
from pipeline.paths import DEFAULT_ROOT

SOURCE = f"{synthetic.SYNTHETIC_SOURCE}?seed=2026&calibrated=published-totals"


def laureates(rows: list[tuple]) -> pd.DataFrame:
    """Canonical rows (edition, name, departement, kind, arobases, code), flagged synthetic."""
    frame = pd.DataFrame(
        rows, columns=["edition", "name", "departement", "kind", "arobases", "code"]
    )
    return frame.assign(source_url=SOURCE, note=synthetic.SYNTHETIC_NOTE)


def test_the_held_back_edition_reads_back_as_the_association_sent_it(tmp_path):
    rows = laureates(
        [
            (2026, "Lille", "59", "ville", 5, "59350"),
            (2026, "L'Abergement-Clémenciat", "01", "village", 1, "01001"),
            (2026, "Les Abymes", "971", "ville", 3, "97101"),
        ]
    )
    path = bench.write_association_file(rows, tmp_path)
    assert path.name == "SYNTHETIC-palmares-2026.xlsx"
    read = read_palmares(path)
    assert read["edition"].tolist() == [2026] * 3
    assert read["name"].tolist() == rows["name"].tolist()
    assert read["departement"].tolist() == ["59", "01", "971"]
    assert read["kind"].tolist() == ["ville", "village", "ville"]
    assert read["arobases"].tolist() == [5, 1, 3]
    assert read["code"].isna().all()  # the association sends names: the resolver finds codes
    assert (read["source_url"] == SOURCE).all()  # still flagged: no mixed warehouse
    assert (read["note"] == synthetic.SYNTHETIC_NOTE).all()
    assert read["source_row"].tolist() == [4, 5, 6]  # title, blank row, header above


def test_the_cut_keeps_whole_collectivities_of_the_last_editions_and_holds_back_the_last():
    rows = laureates(
        [
            (year, f"Commune {code}", "01", "village", 2, f"010{code:02d}")
            for year in (2022, 2023, 2024, 2025)
            for code in range(10)
        ]
    )
    cut = bench.select_palmares(rows, editions=3, scale=0.5, seed=1)
    assert sorted(cut["edition"].unique()) == [2023, 2024, 2025]
    assert cut["code"].nunique() == 5
    assert (cut.groupby("code").size() == 3).all()  # every kept collectivity, every edition
    before, held_back = bench.split_last_edition(cut)
    assert set(before["edition"]) == {2023, 2024} and set(held_back["edition"]) == {2025}
    assert len(before) + len(held_back) == len(cut)
    assert bench.select_palmares(rows, None, 1.0, 1).equals(rows)


def test_a_scratch_root_inside_the_checkout_or_holding_other_files_is_refused(tmp_path):
    inside = DEFAULT_ROOT / "palmares-fullscale-refused"
    with pytest.raises(SystemExit):
        bench.main(["--root", str(inside), "--editions", "2", "--scale", "0.01"])
    assert not inside.exists()
    other = tmp_path / "someone-elses"
    other.mkdir()
    (other / "thesis.tex").write_text("keep me", "utf-8")
    with pytest.raises(SystemExit, match="not a synthetic root"):
        synthetic_root.check_root(other)
    assert (other / "thesis.tex").exists()
    earlier = tmp_path / "earlier"
    notes = earlier / "data" / "raw" / "palmares" / "NOTES.md"
    notes.parent.mkdir(parents=True)
    notes.write_text(f"{synthetic_root.NOTES_TITLE}\n", "utf-8")
    assert synthetic_root.check_root(earlier) == earlier.resolve()
    assert synthetic_root.check_root(tmp_path / "new") == (tmp_path / "new").resolve()


def test_steps_and_pages_are_read_from_what_the_cli_prints():
    run = bench.parse_steps(
        [
            "[1/3] build: warehouse and geometry cache up to date (inputs unchanged) (0.0 s)",
            "[2/3] notebooks: 3 executed, 1,297 up to date, 2 FAILED (1,234.5 s)",
            "[3/3] site: reports/index.html (0.1 s)",
            "error: 2 notebook(s) failed:",
        ]
    )
    assert list(run) == ["build", "notebooks", "site"]
    assert run["notebooks"]["seconds"] == 1234.5
    assert run["build"]["detail"] == "warehouse and geometry cache up to date (inputs unchanged)"
    assert bench.pages_of(run) == {"executed": 3, "up_to_date": 1297, "failed": 2}
    ingest = bench.parse_steps(
        ["[2/4] palmares: 66 rows read, 66 resolved, 0 in quarantine (6.4 s)"]
    )
    assert bench.pages_of(ingest) == {"executed": None, "up_to_date": None, "failed": None}
    explained = [
        "run   editions/2026.html: pipeline/ code changed; output missing (editions/2026.html)",
        "run   overview.html: pipeline/ code changed",
        "run   collectivites/2A004.html: rows of 2A004 in laureates changed",
        "run   collectivites/02130.html: rows of 02130 in laureates changed",
        "skip  collectivites/59350.html: up to date",
    ]
    assert bench.reasons_of(explained) == {
        "pipeline/ code changed": 2,
        "rows of # in laureates changed": 2,
        "output missing (editions/#.html)": 1,
    }


def test_memory_is_the_sum_over_the_whole_process_tree(tmp_path):
    ready = tmp_path / "ready"
    grandchild = (  # 200 MiB written, so resident; then waits for its stdin to close
        f"x = b'x' * (200 * 2**20); open({str(ready)!r}, 'w').close(); import sys; sys.stdin.read()"
    )
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import subprocess, sys; subprocess.run([sys.executable, '-c', {grandchild!r}])",
        ],
        stdin=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while not ready.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        memory = bench.TreeMemory(child.pid)
        memory.sample()
    finally:
        child.stdin.close()
        child.wait()
    assert memory.peak_processes == 2
    assert memory.peak_bytes > 200 * 2**20
