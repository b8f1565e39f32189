"""The PDF writer: pages render with their text, and nothing is fetched from the network."""

from __future__ import annotations

import subprocess

import pytest

from pipeline.report.pdf import html_to_pdf


def _text(pdf) -> str:
    return subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


@pytest.mark.skipif(
    subprocess.run(["which", "pdftotext"], capture_output=True).returncode,
    reason="pdftotext (poppler-utils) not installed",
)
def test_pdf_keeps_french_text_and_refuses_remote_images(tmp_path, monkeypatch):
    page = tmp_path / "page.html"
    page.write_text(
        "<html><body><h1>Édition 2024 : 1\u202f234 lauréats</h1>"
        '<img src="https://example.invalid/logo.png"></body></html>',
        "utf-8",
    )
    opened = []
    monkeypatch.setattr(
        "urllib.request.OpenerDirector.open", lambda self, url, *a, **k: opened.append(url)
    )
    out = html_to_pdf(page, tmp_path / "out" / "page.pdf")
    assert out.read_bytes().startswith(b"%PDF")
    assert "Édition 2024" in _text(out) and "lauréats" in _text(out)
    assert not any("example.invalid" in str(url) for url in opened)
