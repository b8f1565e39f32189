"""The maps the overview, geography and edition pages draw: which maps, at which level, and
the file each is saved to in the site's maps folder (the site lists them by their title)."""

from __future__ import annotations

from pathlib import Path

import duckdb
from matplotlib.figure import Figure

from pipeline.analysis import geography, provenance
from pipeline.build.sources import geometry
from pipeline.report import maps

#: What the geography page maps, for the editions studied.
LABEL_VARIABLES = ("laureates", "population_share")
#: Editions of the geography page's small multiples (the latest studied): six fit a page.
RECENT = 6


def communes_map(con: duckdb.DuckDBPyConnection, geometry_dir, maps_dir) -> Figure:
    """The overview's map of the reference: how many communes each département counts."""
    return maps.plot_departements(
        geometry.read_cached_layer(geometry_dir, "departement"),
        geography.communes_per_departement(con),
        title="Nombre de communes par département",
        legend_title="Communes",
        caption=f"Sources : INSEE, COG {provenance.cog_vintage(con)} (decoupage-administratif) "
        f"; fond : {provenance.geometry_credit()}",
        out=Path(maps_dir) / "communes_par_departement.png",
    )


def edition_maps(
    con: duckdb.DuckDBPyConnection, geometry_dir, edition: int, maps_dir
) -> list[Figure]:
    """The edition page's maps: laureates known per département, then placed by commune."""
    return [
        maps.edition_map(
            con, geometry_dir, edition, level, Path(maps_dir) / f"edition_{edition}_{name}.png"
        )
        for level, name in (("departement", "departements"), ("commune", "communes"))
    ]


def label_maps(
    con: duckdb.DuckDBPyConnection, geometry_dir, editions: list[int], level: str, maps_dir
) -> list[Figure]:
    """The geography page's maps at `level`, editions pooled: laureates known, then the share
    of the population covered (Île-de-France zoomed in below the région level)."""
    label = maps.editions_label(editions)
    return [
        maps.edition_map(
            con,
            geometry_dir,
            editions,
            level,
            Path(maps_dir) / f"geographie_{level}_{variable}_{label}.png",
            variable=variable,
            idf_inset=level != "region",
        )
        for variable in LABEL_VARIABLES
    ]


def recent_regions(
    con: duckdb.DuckDBPyConnection, geometry_dir, editions: list[int], maps_dir
) -> Figure:
    """The latest editions studied, a map of the régions each, classified alike."""
    recent = editions[-RECENT:]
    return maps.edition_small_multiples(
        con,
        geometry_dir,
        recent,
        "region",
        Path(maps_dir) / f"geographie_regions_{maps.editions_label(recent)}.png",
    )
