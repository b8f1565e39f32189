"""The collectivity pages on the index, filed by région then département.

At full size (some 1,400 pages) one alphabetical list is an endless block: the index folds the
pages by région and département as the reference places each commune. An intercommunalité
spans communes, often départements: it is filed in a group of its own, as is a code the
reference does not know. Names come from the warehouse and are hostile: they reach the page
only through the autoescaping templates.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

if TYPE_CHECKING:
    from pipeline.report.site import Link

EPCI_GROUP = "Intercommunalités (EPCI)"
UNPLACED_GROUP = "Sans département ni région dans le référentiel"
#: Order of the groups on the index: metropolitan régions, overseas ones, then the two others.
_RANKS = {"metro": 0, "drom": 1, "com": 1, EPCI_GROUP: 2, UNPLACED_GROUP: 3}


@dataclass(frozen=True)
class Place:
    """Where the index files one collectivity page: a group (a région) and, inside it, a
    subgroup (a département, "" in the groups that have none)."""

    group: str
    rank: int
    subgroup: str = ""
    subgroup_order: str = ""  # the département code: départements are listed by number


UNPLACED = Place(UNPLACED_GROUP, _RANKS[UNPLACED_GROUP])


@dataclass(frozen=True)
class Subgroup:
    """The pages of one département (or of a whole group that has none), sorted by name."""

    title: str  # "Nord (59)", or "" in a group without départements
    links: tuple[Link, ...]


@dataclass(frozen=True)
class Group:
    """A foldable group of the index and its subgroups, in the order they are shown."""

    title: str
    subgroups: tuple[Subgroup, ...]

    @property
    def count(self) -> int:
        return sum(len(subgroup.links) for subgroup in self.subgroups)


def fold(text: str) -> str:
    """Text without accents or case: how names are sorted and searched."""
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def search_key(link: Link) -> str:
    """What the index's search box matches: the title without accents or case, and the page name
    (an INSEE code or SIREN for collectivity pages)."""
    return fold(f"{link.title} {Path(link.href).stem}")


def read_places(con: duckdb.DuckDBPyConnection, codes: Iterable[str]) -> dict[str, Place]:
    """The place of each collectivity code (INSEE code of a commune or SIREN of an EPCI) in the
    warehouse's reference tables; a code they do not know is UNPLACED."""
    wanted = sorted(set(codes))
    rows = con.execute(
        """
        SELECT wanted.code, e.epci_siren IS NOT NULL, r.name, r.zone, d.departement_code, d.name
        FROM (SELECT unnest(?::VARCHAR[]) AS code) wanted
        LEFT JOIN commune c ON c.commune_code = wanted.code AND c.commune_kind = 'commune'
        LEFT JOIN departement d ON d.departement_code = c.departement_code
        LEFT JOIN region r ON r.region_code = d.region_code
        LEFT JOIN epci e ON e.epci_siren = wanted.code
        """,
        [wanted],
    ).fetchall()
    places = {}
    for code, is_epci, region, zone, departement_code, departement in rows:
        if region is not None:
            places[code] = Place(
                region, _RANKS[zone], f"{departement} ({departement_code})", departement_code
            )
        elif is_epci:
            places[code] = Place(EPCI_GROUP, _RANKS[EPCI_GROUP])
        else:
            places[code] = UNPLACED
    return places


def group_by_place(links: Iterable[Link], places: Mapping[str, Place]) -> list[Group]:
    """The links in their groups and subgroups, each sorted as a reader looks for it: régions
    by name (metropolitan first), départements by number, collectivities by name. `places` is
    keyed by the link's href; a link without a place is filed as UNPLACED."""
    filed: dict[Place, list[Link]] = {}
    for link in links:
        filed.setdefault(places.get(link.href, UNPLACED), []).append(link)
    by_group: dict[tuple[int, str, str], list[Subgroup]] = {}
    for place in sorted(filed, key=lambda p: p.subgroup_order):
        subgroup = Subgroup(place.subgroup, tuple(sorted(filed[place], key=search_key)))
        by_group.setdefault((place.rank, fold(place.group), place.group), []).append(subgroup)
    return [Group(title, tuple(subgroups)) for (_, _, title), subgroups in sorted(by_group.items())]
