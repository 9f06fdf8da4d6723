"""The STAC collections: one per mission family, named after its constellation.

A collection is a fixed description (platforms, instruments, resolution) and a set
of mission codes; its items are the products of those missions.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Family:
    """A mission family: one STAC collection."""

    id: str
    title: str
    description: str
    constellation: str
    platforms: dict[str, str]  # mission code -> STAC platform
    instruments: tuple[str, ...]
    gsd: tuple[float, ...]  # panchromatic and multispectral, in metres

    @property
    def missions(self) -> list[str]:
        return list(self.platforms)


FAMILIES = (
    Family(
        id="pleiades",
        title="Pléiades 1A/1B",
        description=(
            "Very-high-resolution optical products of the Pléiades 1A and 1B "
            "satellites (0.5 m panchromatic, 2 m multispectral), archived by "
            "the Pleiades National Data Portal."
        ),
        constellation="pleiades",
        platforms={"PHR1A": "pleiades-1a", "PHR1B": "pleiades-1b"},
        instruments=("hiri",),
        gsd=(0.5, 2.0),
    ),
    Family(
        id="pleiades-neo",
        title="Pléiades Neo",
        description=(
            "Very-high-resolution optical products of the Pléiades Neo 3 and 4 "
            "satellites (0.3 m panchromatic, 1.2 m multispectral)."
        ),
        constellation="pleiades-neo",
        platforms={"PNEO3": "pleiades-neo-3", "PNEO4": "pleiades-neo-4"},
        instruments=("pneo",),
        gsd=(0.3, 1.2),
    ),
    Family(
        id="spot",
        title="SPOT 6/7",
        description=(
            "High-resolution optical products of the SPOT 6 and 7 satellites "
            "(1.5 m panchromatic, 6 m multispectral)."
        ),
        constellation="spot",
        platforms={"SPOT6": "spot-6", "SPOT7": "spot-7"},
        instruments=("naomi",),
        gsd=(1.5, 6.0),
    ),
)

BY_ID = {family.id: family for family in FAMILIES}
BY_MISSION = {mission: family for family in FAMILIES for mission in family.platforms}
# STAC platform name -> mission code, for filters on "platform".
MISSION_OF_PLATFORM = {
    platform: mission
    for family in FAMILIES
    for mission, platform in family.platforms.items()
}
PLATFORM_OF_MISSION = {
    mission: platform for platform, mission in MISSION_OF_PLATFORM.items()
}


def family(collection_id: str) -> Family | None:
    """The family of a collection id, or None."""
    return BY_ID.get(collection_id)
