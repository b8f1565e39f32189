"""The stamp of a run without failure: the next run stops at once only when nothing it reads
has changed and every output is in place (`pipeline.run.unchanged`).

A hand-made project tree stands in for a built one: the stamp reads files, never their content
as tables, so any bytes do.
"""

from __future__ import annotations

import json
import os

import pytest

from pipeline.paths import Paths
from pipeline.run import freshness, unchanged

OUTPUTS = ["editions/2021.html", "notebooks/editions/2021.ipynb", "pdf/edition_2021.pdf"]


@pytest.fixture
def built(tmp_path) -> Paths:
    paths = Paths(tmp_path)
    files = {
        paths.raw / "palmares" / "laureates.csv": "edition,name\n2021,Grenoble\n",
        paths.notebooks / "edition.ipynb": "{}",
        paths.root / "pipeline.toml": '[[notebook]]\nname = "edition"\n',
        paths.warehouse: "warehouse bytes",
        paths.geometry_cache / "current.json": '{"key": "k"}',
        paths.reports / "index.html": "<h1>Index</h1>",
        paths.reports / freshness.STATE_NAME: json.dumps(
            {"format": freshness.STATE_FORMAT, "jobs": {"editions/2021.html": {"outputs": OUTPUTS}}}
        ),
        **{paths.reports / out: "page" for out in OUTPUTS},
    }
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
    unchanged.write_stamp(paths)
    return paths


def test_nothing_changed_after_the_stamp(built):
    assert unchanged.is_unchanged(built)


def append(path):
    path.write_text(path.read_text("utf-8") + " ", "utf-8")


def touch_later(path):
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))


@pytest.mark.parametrize(
    "change",
    [
        lambda p: append(p.raw / "palmares" / "laureates.csv"),  # a raw file
        lambda p: (p.raw / "palmares" / "editions.csv").write_text("x", "utf-8"),  # a new one
        lambda p: append(p.notebooks / "edition.ipynb"),  # a notebook's content
        lambda p: touch_later(p.notebooks / "edition.ipynb"),  # its time (`touch`, as make)
        lambda p: (p.notebooks / "other.ipynb").write_text("{}", "utf-8"),  # a new notebook
        lambda p: append(p.root / "pipeline.toml"),
        lambda p: append(p.reports / freshness.STATE_NAME),  # another run's state
        lambda p: append(p.warehouse),  # rebuilt by `palmares build`
        lambda p: p.warehouse.unlink(),
        lambda p: append(p.geometry_cache / "current.json"),  # another geometry cache
        lambda p: (p.reports / OUTPUTS[2]).unlink(),  # a PDF deleted
        lambda p: (p.reports / "index.html").unlink(),
        lambda p: unchanged.forget(p),  # a run began and did not finish
        lambda p: (p.reports / unchanged.STAMP_NAME).write_text("{not json", "utf-8"),
    ],
)
def test_any_change_of_what_a_run_reads_or_writes_takes_the_usual_way(built, change):
    change(built)
    assert not unchanged.is_unchanged(built)


def test_without_a_stamp_the_run_takes_the_usual_way(tmp_path):
    assert not unchanged.is_unchanged(Paths(tmp_path))


def test_a_change_of_the_pipeline_code_takes_the_usual_way(built, monkeypatch):
    from pipeline import io

    monkeypatch.setattr(io, "code_fingerprint", lambda: "the code of another version")
    assert not unchanged.is_unchanged(built)


def test_another_library_version_takes_the_usual_way(built, monkeypatch):
    from pipeline import environment, io

    upgraded = {**environment.installed(), "pandas": "99.0"}
    monkeypatch.setattr(environment, "installed", lambda: upgraded)
    monkeypatch.setattr(environment, "fingerprint", environment.fingerprint.__wrapped__)
    monkeypatch.setattr(io, "code_fingerprint", io.code_fingerprint.__wrapped__)
    assert not unchanged.is_unchanged(built)
