"""A small portal population: one of each actor, a user group, and content."""

from datetime import date
from datetime import datetime
from datetime import timedelta
from plone import api
from plone.app.testing import setRoles
from plone.app.testing import TEST_USER_ID
from plone.namedfile.file import NamedBlobFile
from Products.CMFCore.utils import getToolByName


PASSWORD = "secret-password-1"
SQUARE = {
    "type": "Polygon",
    "coordinates": [[[4.0, 50.0], [5.0, 50.0], [5.0, 51.0], [4.0, 51.0], [4.0, 50.0]]],
}

# Every actor of the agreement, by user id: (global roles, PAS groups).
ACTORS = {
    "member": ((), ()),
    "owner": ((), ("usergroup-ulb",)),  # the requester: member of the group
    "colleague": ((), ("usergroup-ulb",)),
    "leader": ((), ("usergroup-ulb",)),
    "outsider": ((), ("usergroup-kuleuven",)),  # member of another, pending group
    "stereo": ((), ("stereo-managers",)),
    "validator": ((), ("pleiades-validators",)),
    "operator": ((), ("pleiades-operators",)),
    "siteadmin": (("Site Administrator",), ()),
}
USERS = ["anonymous", *ACTORS]


def create_users() -> None:
    for userid, (roles, _groups) in ACTORS.items():
        api.user.create(
            username=userid,
            email=f"{userid}@example.org",
            password=PASSWORD,
            roles=("Member", *roles),
        )


def join_groups() -> None:
    for userid, (_roles, groups) in ACTORS.items():
        for group in groups:
            api.group.add_user(groupname=group, username=userid)


def user_group(portal, group_id="ulb", title="ULB", approve=True, leaders=("leader",)):
    """A UserGroup, approved for a year unless told otherwise."""
    group = api.content.create(
        container=portal.groups,
        type="UserGroup",
        id=group_id,
        title=title,
        contact_email=f"contact@{group_id}.example.org",
        leaders=list(leaders),
        approval_end=date.today() + timedelta(days=365),
    )
    if approve:
        api.content.transition(obj=group, transition="approve")
    return group


def product(portal, product_id="p1", publish=True):
    with api.env.adopt_user(username="operator"):
        obj = api.content.create(
            container=portal.catalogue,
            type="Product",
            id=product_id,
            title=f"Product {product_id}",
            dataset_name=f"DS_{product_id}",
            mission="PHR1A",
            acquisition_date=datetime(2024, 5, 17, 10, 31),
            processing_level="ORTHO",
            spectral_mode="PMS",
            cloud_cover=12.34,
            incidence_angle=14.56,
            footprint=SQUARE,
            package=NamedBlobFile(b"archived package", filename=f"{product_id}.zip"),
        )
        if publish:
            api.content.transition(obj=obj, transition="publish")
    return obj


def request(portal, request_id="r1", userid="owner"):
    """A programming request of ULB, drafted by one of its members."""
    with api.env.adopt_user(username=userid):
        obj = api.content.create(
            container=portal.requests,
            type="AcquisitionRequest",
            id=request_id,
            title=f"Request {request_id}",
            kind="programming",
            user_group="ulb",
            purpose="Mapping the Sonian forest",
            window_start=date.today() + timedelta(days=10),
            window_end=date.today() + timedelta(days=70),
            footprint=SQUARE,
        )
    return obj


def build(portal) -> dict:
    """Users, the approved group ULB, the pending group KU Leuven, content."""
    setRoles(portal, TEST_USER_ID, ["Manager"])
    create_users()
    user_group(portal)
    user_group(portal, "kuleuven", "KU Leuven", approve=False, leaders=())
    join_groups()
    return {"product": product(portal), "request": request(portal)}


def build_in_state(portal, portal_type: str, state: str):
    """The world, and its content of one type put in a state."""
    content = build(portal)
    obj = {
        "Product": content["product"],
        "AcquisitionRequest": content["request"],
        "UserGroup": portal.groups.ulb,
    }[portal_type]
    set_state(obj, state)
    return obj


def set_state(obj, state: str) -> None:
    """Put content in a state directly, with that state's permissions."""
    workflow_tool = getToolByName(obj, "portal_workflow")
    (workflow,) = workflow_tool.getWorkflowsFor(obj)
    status = workflow_tool.getStatusOf(workflow.getId(), obj)
    workflow_tool.setStatusOf(workflow.getId(), obj, {**status, "review_state": state})
    workflow.updateRoleMappingsFor(obj)
    obj.reindexObject()
