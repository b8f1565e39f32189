"""Tables as French readers see them in reports: French headers, numbers and a source caption.

The one renderer of text from input files into report HTML. nbconvert copies a notebook's HTML
outputs into the page as they are and renders its Markdown with raw HTML allowed, so escaping
is done here, by construction:

- `french_table` / `described_table` escape every text cell, column header and the caption; a
  URL column becomes a link only for an http(s) URL (`link`);
- `markdown_text` escapes a text from the data for a `Markdown(...)` output.

What a reader sees is French; the codes stay in the data. A table's machine codes that a French
column names already (a transition, a measure, a category) are listed in `attrs["hidden"]`:
the CSV keeps them, `reader_view` (and so `described_table`) leaves them out. Cells of text
quoted as the source wrote it (a quotation, a published name, a URL: `VERBATIM_COLUMNS`) carry
the class `verbatim`, so a check of the French of a page can tell them from the project's own
words; numbers carry the class `num`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Collection, Mapping
from functools import partial
from urllib.parse import urlsplit

import pandas as pd
from pandas.io.formats.style import Styler

from pipeline import io
from pipeline.formatting import MISSING, format_fr

#: Columns (original names) holding URLs, shown as links when http(s).
LINK_COLUMNS = ("source_url",)
#: Columns (original names) of text quoted from an input file as written, in any language:
#: a source's quotation or claim, a name or distinction as published, a URL.
VERBATIM_COLUMNS = ("quote", "claim_text", "name", "distinction", "source_url")
VERBATIM_CLASS = "verbatim"
#: CommonMark lets a backslash escape any ASCII punctuation (this includes < > & of HTML).
_MARKDOWN_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def french_table(
    frame: pd.DataFrame,
    headers: Mapping[str, str],
    caption: str,
    decimals: Mapping[str, int] | None = None,
    links: Collection[str] = LINK_COLUMNS,
    verbatim: Collection[str] = VERBATIM_COLUMNS,
) -> Styler:
    """Style a table for a report: numbers right-aligned in French format, no index.

    `headers` renames columns for display; the caption must name the source and vintage;
    `decimals` gives the decimals of a column (by its original name; default none); `links`
    the URL columns (by original name) shown as links; `verbatim` the columns of text quoted
    from the sources (class `verbatim` on their cells). Years and codes should be passed as
    text, so they get no thousands separator. Cells, headers and caption are HTML-escaped.
    """
    decimals = decimals or {}
    places = {headers.get(c, c): decimals.get(c, 0) for c in frame.columns}
    shown = frame.rename(columns=dict(headers)).rename_axis(
        columns=None
    )  # a pivot's axis name is code
    numeric = [c for c in shown.columns if pd.api.types.is_numeric_dtype(shown[c])]
    linked = [headers.get(c, c) for c in links if c in frame.columns]
    quoted = [headers.get(c, c) for c in verbatim if c in frame.columns]
    styler = (
        shown.style.set_uuid(_table_id(shown, caption))
        .hide(axis="index")
        .format(escape="html", na_rep=MISSING)  # every cell, until a call below replaces it
        .format_index(escape="html", axis=1)
        .set_caption(html.escape(caption))
        .set_properties(subset=numeric, **{"text-align": "right"})
    )
    if quoted or numeric:  # for the stylesheet (`num`) and the check of a page's French
        classes = pd.DataFrame("", index=shown.index, columns=shown.columns)
        classes[numeric] = "num"
        classes[quoted] = VERBATIM_CLASS
        styler = styler.set_td_classes(classes)
    if numeric:  # format_fr writes digits, separators and a minus or dash only
        styler = styler.format(
            {c: partial(format_fr, decimals=places[c]) for c in numeric}, subset=numeric
        )
    if linked:  # `link` escapes what it writes
        styler = styler.format(dict.fromkeys(linked, link), subset=linked)
    return styler


def _table_id(shown: pd.DataFrame, caption: str) -> str:
    """An id from the table's content, not pandas' random one: a page rendered twice from the
    same data is the same page, byte for byte."""
    content = f"{caption}\n{list(shown.columns)}\n{shown.to_json(orient='values')}"
    return io.bytes_sha256(content.encode("utf-8"))[:10]


def described_table(frame: pd.DataFrame, decimals: Mapping[str, int] | None = None) -> Styler:
    """A table that carries its French headers, note and source in `attrs` (as the edition
    statistics do), styled for a report with the note and the source as its caption; its
    `hidden` columns left out (`reader_view`)."""
    caption = " ".join(
        part for part in (frame.attrs.get("note"), frame.attrs.get("source")) if part
    )
    return french_table(reader_view(frame), frame.attrs.get("headers", {}), caption, decimals)


def reader_view(frame: pd.DataFrame) -> pd.DataFrame:
    """The table as a reader sees it: without the machine codes its `attrs["hidden"]` lists
    (a French column beside them names the same thing), its columns in the order of its
    `attrs["headers"]` (the CSV keeps its own); `attrs` kept."""
    hidden = set(frame.attrs.get("hidden", ()))
    named = [c for c in frame.attrs.get("headers", {}) if c in frame.columns]
    order = named + [c for c in frame.columns if c not in named]
    view = frame[[c for c in order if c not in hidden]]
    view.attrs = dict(frame.attrs)
    return view


def is_web_url(url: str) -> bool:
    """Whether a URL may become a link: http or https with a host (never javascript:, data:...)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


def link(url) -> str:
    """HTML of a URL cell: an escaped link for http(s), escaped text otherwise, "" if missing."""
    if not isinstance(url, str):
        return "" if pd.isna(url) else html.escape(str(url))
    text = html.escape(url)
    return f'<a href="{text}">{text}</a>' if is_web_url(url) else text


def markdown_text(text) -> str:
    """A text from the data, safe inside Markdown: shown literally, never as markup (every ASCII
    punctuation backslash-escaped, line breaks and runs of spaces made one space)."""
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", " ".join(str(text).split()))
