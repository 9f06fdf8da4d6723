"""What a request must be to be submitted: each refusal explained, nothing kept."""

from datetime import date
from datetime import timedelta
from plone import api
from Products.CMFCore.WorkflowCore import WorkflowException
from tests.content import world

import pytest


def submit(request):
    with api.env.adopt_user(username="owner"):
        api.portal.get_tool("portal_workflow").doActionFor(request, "submit")


@pytest.fixture
def draft(portal):
    return world.build(portal)["request"]


def big_box(degrees: float) -> dict:
    return {
        "type": "Polygon",
        "coordinates": [
            [[4, 50], [4 + degrees, 50], [4 + degrees, 51], [4, 51], [4, 50]]
        ],
    }


@pytest.mark.parametrize(
    "change, message",
    [
        ({"footprint": big_box(3)}, "more than the 10,000 km²"),
        ({"footprint": None}, "Draw the area of interest"),
        ({"estimated_attempts": 0}, "at least 1"),
        ({"estimated_attempts": -4}, "at least 1"),
        ({"estimated_attempts": 50_001}, "more than 10 times the year's rights"),
        ({"window_start": date.today() - timedelta(days=1)}, "start today or later"),
        ({"window_end": date.today()}, "ends before it starts"),
        ({"window_end": date.today() + timedelta(days=500)}, "longer than a year"),
    ],
)
def test_programming_request_refused(draft, change, message):
    for name, value in change.items():
        setattr(draft, name, value)
    with pytest.raises(WorkflowException, match=message):
        submit(draft)
    assert api.content.get_state(obj=draft) == "draft"


@pytest.mark.parametrize(
    "scenes, message",
    [
        ([], "List the archive scenes"),
        (["  "], "List the archive scenes"),
        (["DS_PHR1A_1", "DS_PHR1A_1"], "listed twice"),
    ],
)
def test_extraction_request_refused(draft, scenes, message):
    draft.kind = "extraction"
    draft.scenes = scenes
    with pytest.raises(WorkflowException, match=message):
        submit(draft)
    assert api.content.get_state(obj=draft) == "draft"


def test_a_sensible_request_is_submitted(draft):
    submit(draft)
    assert api.content.get_state(obj=draft) == "submitted"
