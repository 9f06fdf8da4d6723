"""Demo content: a user group and requests at several steps of their way.

The demo products come from synthetic deliveries ingested when the portal
starts (``cli/site.py``), as real ones are; never installed in production.
"""

from belspo.pleiades import logger
from datetime import date
from datetime import timedelta
from plone import api


SCENE = 0.18  # degrees, about 20 km across: one Pleiades scene


def scene(west: float, south: float) -> dict:
    """A slightly skewed quadrilateral, as a scene's footprint is."""
    east, north = west + SCENE * 1.4, south + SCENE
    ring = [
        [west, south],
        [east, south + 0.01],
        [east + 0.02, north],
        [west + 0.02, north - 0.01],
    ]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}  # fmt: skip


def create_user_group(portal) -> None:
    if "demo-institute" in portal.groups:
        return
    group = api.content.create(
        container=portal.groups,
        type="UserGroup",
        id="demo-institute",
        title="Demo Institute for Earth Observation",
        description="An example user group of the community.",
        institution_type="federal",
        contact_email="eo@demo-institute.example.org",
        approval_end=date.today() + timedelta(days=365),
    )
    api.content.transition(obj=group, transition="approve")


def create_request(portal) -> None:
    if "demo-request" in portal.requests:
        return
    api.content.create(
        container=portal.requests,
        type="AcquisitionRequest",
        id="demo-request",
        title="Sonian Forest, summer stereo pair",
        kind="programming",
        user_group="demo-institute",
        purpose="Monitoring canopy gaps after the 2026 storms.",
        window_start=date.today() + timedelta(days=30),
        window_end=date.today() + timedelta(days=120),
        footprint=scene(4.38, 50.72),
    )


# Requests a validator finds to decide on, and one already decided:
# id -> (title, west, south, attempts, mode, the transitions to fire).
MORE_REQUESTS = {
    "demo-port-of-antwerp": (
        "Port of Antwerp, quay extension",
        4.28,
        51.26,
        6,
        "priority",
        ["submit"],
    ),
    "demo-meuse-floods": (
        "Meuse valley after the floods",
        5.55,
        50.55,
        12,
        "standard",
        ["submit", "validate"],
    ),
}


def create_more_requests(portal) -> None:
    workflow = api.portal.get_tool("portal_workflow")
    for request_id, (
        title,
        west,
        south,
        attempts,
        mode,
        steps,
    ) in MORE_REQUESTS.items():
        if request_id in portal.requests:
            continue
        request = api.content.create(
            container=portal.requests,
            type="AcquisitionRequest",
            id=request_id,
            title=title,
            kind="programming",
            user_group="demo-institute",
            purpose="An example request of the demo.",
            window_start=date.today() + timedelta(days=14),
            window_end=date.today() + timedelta(days=90),
            priority_mode=mode,
            estimated_attempts=attempts,
            footprint=scene(west, south),
        )
        for step in steps:
            workflow.doActionFor(request, step, comment="Demo: within the plan.")


def create_demo_model(portal) -> None:
    """Create the demo group, products and requests that are missing."""
    create_user_group(portal)
    create_request(portal)
    create_more_requests(portal)
    logger.info("demo content: a user group and requests")
