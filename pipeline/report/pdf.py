"""Printable PDF from the site's HTML pages, with WeasyPrint (pure PyPI, no LaTeX, no browser).

One implementation for every PDF the project writes (edition reports, the statistics pack).
Images and the stylesheet are resolved relative to the page, so a page renders the same on
screen and on paper; nothing is fetched from the network (WeasyPrint's fetcher is allowed
local files and data URLs only).
"""

from __future__ import annotations

from pathlib import Path

from pipeline import io


def html_to_pdf(html: Path, out: Path) -> Path:
    """Render an HTML file (with its relative images and CSS) to `out`, written atomically."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(allowed_protocols={"file", "data"})
    with io.atomic_path(out) as tmp:
        HTML(filename=str(html), encoding="utf-8", url_fetcher=fetcher).write_pdf(str(tmp))
    return out
