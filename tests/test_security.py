"""Security: no network at run time, no user value formatted into SQL, input text escaped in
every page, notebook parameters type-checked (tests/test_notebook_jobs.py)."""

from __future__ import annotations

import ast
import html as html_module
import re
import socket
from pathlib import Path

import pandas as pd
import pytest
from conftest import NetworkBlocked

from pipeline.formatting import format_fr
from pipeline.paths import DEFAULT_ROOT
from pipeline.report import site, tables

#: Every expression formatted into SQL text in pipeline/, with why it cannot carry input.
#: A new one fails the test below until it is reviewed and added here (or made a parameter).
REVIEWED_SQL_FORMATTING = {
    "pipeline/analysis/continuity/basis.py": {
        "<_GRID_SQL.format(...)>": "module constants, a part name from a literal tuple and the "
        "names of relations registered under a random tag",
        "<sql + ...>": "the grid's constant CTEs and a tail written in the analysis modules; "
        "values are parameters",
    },
    "pipeline/analysis/continuity/retention.py": {"bits": "integer computed from levels"},
    "pipeline/analysis/continuity/table.py": {"<_TABLE_SQL.format(...)>": "module constants"},
    "pipeline/analysis/continuity/ten.py": {
        "', '.join((f'({expr}) AS {name}' for name, expr in cum.items()))": "SQL fragments written in the module",  # noqa: E501 (an exact source expression)
        "TEN_SQL": "module constant",
        "cmp": "module constant",
        "expr": "module constant",
        "name": "module constant",
    },
    "pipeline/analysis/continuity/transitions.py": {"<_PAIRS_SQL + ...>": "module constant"},
    "pipeline/analysis/coverage.py": {
        "', '.join((f'count_if((bits & {1 << lv + 1}) <> 0) AS \"{scope}\"' for scope, lv in LEVEL_SCOPES.items()))": "integers and scope names from module constants",  # noqa: E501 (an exact source expression)
        "1 << lv + 1": "integer",
        "TEN_SQL": "module constant",
        "level_selects": "built from constants",
        "scope": "module constant",
        "ten_values": "int() of each published TEN count",
    },
    "pipeline/analysis/edition_stats.py": {
        "<PLACED_LAUREATES_SQL>": "module constant; edition is a parameter"
    },
    "pipeline/analysis/illectronism.py": {
        "' AND '.join(conditions)": "column names from the code; values are parameters",
        "where": "a constant clause; the indicator is a parameter",
    },
    "pipeline/run/pipeline_toml.py": {"<'WITH held AS ...>": "module constants"},
    "pipeline/run/freshness.py": {"name": "table names read from DuckDB's catalogue"},
    "pipeline/build/schema.py": {"<SCHEMA_SQL>": "schema.sql, part of the package"},
    "pipeline/report/site.py": {"', '.join(columns)": "column names written in the code"},
    "pipeline/analysis/checks.py": {
        "SOURCE_PATH_SQL": "a constant of the palmarès reader (the file without its locator)"
    },
    "pipeline/build/dry_run.py": {
        "SOURCE_PATH_SQL": "a constant of the palmarès reader (the file without its locator)",
        "table": "'laureates' or 'quarantine', literals in the module",
        "columns": "column lists written in the module",
        "'' if mine else 'NOT '": "one of two literals",
    },
    "pipeline/publish/licences.py": {
        "other": "table names from tables.PUBLISHED (constants)",
        "SOURCE_PATH_SQL": "a constant of the palmarès reader (the file without its locator)",
    },
    "pipeline/publish/package.py": {
        "<tables.select_sql(...)>": "column names from schema.sql or DESCRIBE of the computed "
        "frame, table names from tables.PUBLISHED",
    },
    "pipeline/publish/tables.py": {
        "<SCHEMA_SQL>": "schema.sql, part of the package",
        "table.name": "a computed table's name from tables.PUBLISHED",
    },
    "benchmarks/synthetic.py": {
        "<SCHEMA_SQL>": "schema.sql",
        "table": "table names from schema.sql",
    },
    "pipeline/build/warehouse.py": {
        "', '.join(columns)": "column names from DESCRIBE of a schema table",
        "<SCHEMA_SQL>": "schema.sql",
        "name": "table names from schema.sql",
        "table": "checked against schema.sql's tables first",
    },
}


def formatted_sql(path: Path) -> set[str]:
    """Expressions interpolated into the SQL text of `.execute(`, `.sql(` and `.df(` calls;
    SQL built elsewhere and passed as a variable or a concatenation is listed as `<...>`."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("execute", "sql", "df")
            and node.args
        ):
            continue
        if ast.unparse(node.func.value) in ("notebook", "jobs"):  # they run notebooks
            continue
        text = node.args[0]
        if isinstance(text, ast.JoinedStr):
            found |= {
                ast.unparse(part.value)
                for part in ast.walk(text)
                if isinstance(part, ast.FormattedValue)
            }
        elif isinstance(text, (ast.Name, ast.Attribute)):
            found.add(f"<{ast.unparse(text)}>")
        elif isinstance(text, ast.Call):
            found.add(f"<{ast.unparse(text.func)}(...)>")
        elif isinstance(text, ast.BinOp):
            found.add(
                f"<{ast.unparse(text)[:14]}...>"
                if not isinstance(text.left, ast.Name)
                else f"<{ast.unparse(text.left)} + ...>"
            )
    return found


def test_no_input_value_is_formatted_into_sql():
    unreviewed = {}
    for path in sorted((DEFAULT_ROOT / "pipeline").rglob("*.py")):
        relative = str(path.relative_to(DEFAULT_ROOT))
        new = formatted_sql(path) - set(REVIEWED_SQL_FORMATTING.get(relative, {}))
        if new:
            unreviewed[relative] = sorted(new)
    assert unreviewed == {}, (
        "SQL text formatted from expressions nobody reviewed: pass values as parameters"
    )


def test_the_sql_scan_sees_a_formatted_value(tmp_path):
    unsafe = tmp_path / "unsafe.py"
    unsafe.write_text(
        "def f(con, name):\n    return con.execute(f\"SELECT * FROM laureates WHERE name = '{name}'\")\n"  # noqa: E501 (an exact source expression)
    )
    assert formatted_sql(unsafe) == {"name"}


def test_network_connections_fail_in_tests():
    with pytest.raises(NetworkBlocked, match="network connection attempted"):
        socket.create_connection(("127.0.0.1", 9), timeout=1)
    with socket.socket(socket.AF_UNIX) as local:  # kernels talk over Unix sockets: allowed
        with pytest.raises(OSError) as refused:
            local.connect("/nonexistent/palmares.sock")
        assert not isinstance(refused.value, NetworkBlocked)


def test_input_text_is_escaped_on_every_page(tmp_path):
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    provenance = site.Provenance(
        hostile,
        "2026",
        hostile,
        [
            {
                "path": hostile,
                "sha256": "0" * 64,
                "licence": hostile,
                "url": hostile,
                "derived_from": None,
            }
        ],
    )
    page = site.write_page(
        tmp_path, "collectivites/x.html", hostile, "<p>corps</p>", provenance, {"code": hostile}
    ).read_text("utf-8")
    index = site.write_index(
        tmp_path,
        [site.Section(hostile, [site.Link(hostile, "a.html", hostile)], True)],
        [site.Link(hostile, "maps/x.png")],
        provenance,
        [site.Link(hostile, "t.csv", csv=((hostile, "t.csv"),))],
    ).read_text("utf-8")
    for html in (page, index):
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html


HOSTILE_CELL = '<script>alert(1)</script>"><img src=x onerror=alert(1)>'


def test_every_table_cell_header_and_caption_is_escaped():
    frame = pd.DataFrame(
        {
            "name": [HOSTILE_CELL, None],
            "count": [1234567, None],
            "share": [12.345, 3.0],
            "source_url": ["javascript:alert(1)", HOSTILE_CELL],
        }
    )
    html = tables.french_table(
        frame, {"name": f"Nom {HOSTILE_CELL}"}, f"Source : {HOSTILE_CELL}", decimals={"share": 1}
    ).to_html()
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "javascript:alert(1)</a>" not in html
    assert re.search(r"<caption>Source : &lt;script&gt;", html)  # caption
    assert re.search(r"<th[^>]*>Nom &lt;script&gt;", html)  # header
    assert re.search(r"<td[^>]*>&lt;script&gt;", html)  # cell
    # numbers keep their French format, right-aligned; missing values are a dash, never "<NA>"
    assert f">{format_fr(1234567)}<" in html and f">{format_fr(12.345, 1)}<" in html
    assert "text-align: right" in html and ">–<" in html
    assert "<NA>" not in html and "None" not in html

    described = pd.DataFrame({"distinction": [HOSTILE_CELL], "count": [2]})
    described.attrs.update(
        headers={"distinction": f"Distinction {HOSTILE_CELL}"},
        note=f"Note {HOSTILE_CELL}",
        source="Source",
    )
    html = tables.described_table(described).to_html()
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "<caption>Note &lt;script&gt;" in html and ">Distinction &lt;script&gt;" in html


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        " JavaScript:alert(1)",
        "java\tscript:alert(1)",
        "vbscript:x",
        "data:text/html,<script>alert(1)</script>",
        "//evil.example/x",
        "http:/no-host",
        "/relative/path",
        "www.example.org",
    ],
)
def test_only_http_urls_become_links(url):
    cell = tables.link(url)
    assert "<a" not in cell and "<script" not in cell
    assert html_module.unescape(cell) == url


def test_an_http_url_becomes_a_link_whose_quotes_stay_inside_the_attribute():
    url = 'https://example.org/?a=1&b="><script>alert(1)</script>'
    cell = tables.link(url)
    assert cell.startswith('<a href="https://example.org/?a=1&amp;b=&quot;&gt;&lt;script&gt;')
    assert "<script" not in cell and cell.count("<a ") == 1
    assert tables.link("HTTP://example.org/x").startswith('<a href="HTTP://example.org/x">')
    assert tables.link(None) == "" and tables.link(float("nan")) == ""
    frame = pd.DataFrame({"source_url": [url, "javascript:alert(1)"]})
    html = tables.french_table(frame, {"source_url": "Source"}, "c").to_html()
    assert html.count("<a href=") == 1 and "javascript:alert(1)" in html


def test_markdown_from_data_shows_as_text():
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    for text in (
        HOSTILE_CELL,
        "[lien](javascript:alert(1)) ![image](x) <http://example.org>",
        "**gras** _it_ `code` # titre\n- liste\n    code\n> citation | a | b |",
        "Saint-Étienne (42) & l'Île $x$",
    ):
        escaped = tables.markdown_text(text)
        rendered = markdown2html_mistune(f"# {escaped}\n\n{escaped}")
        body = re.sub(r'<a class="anchor-link"[^>]*>[^<]*</a>', "", rendered)  # nbconvert's ¶ link
        assert re.findall(r"<(\w+)", body) == ["h1", "p"], rendered
        parts = re.findall(r"<(?:h1|p)[^>]*>(.*?)</(?:h1|p)>", body)
        shown = [html_module.unescape(part) for part in parts]
        assert shown == [" ".join(text.split())] * 2


def test_the_stats_pack_markdown_shows_input_text_as_text():
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    from pipeline.report.stats_pack import markdown

    frame = pd.DataFrame({"distinction": [HOSTILE_CELL], "count": [1]})
    frame.attrs.update(
        title=HOSTILE_CELL,
        headers={"distinction": HOSTILE_CELL},
        note=HOSTILE_CELL,
        source="Sources : test",
    )
    rendered = markdown2html_mistune(markdown({"mentions": frame}, 2019, HOSTILE_CELL))
    tags = set(
        re.findall(r"<(\w+)", re.sub(r'<a class="anchor-link"[^>]*>[^<]*</a>', "", rendered))
    )
    assert tags <= {"h1", "h2", "p", "table", "thead", "tbody", "tr", "th", "td", "em"}, tags
    assert html_module.unescape(rendered).count(" ".join(HOSTILE_CELL.split())) >= 4
