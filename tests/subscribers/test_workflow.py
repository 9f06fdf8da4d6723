"""Transitions check their conditions and record their comments."""

from datetime import date
from datetime import timedelta
from plone import api
from Products.CMFCore.WorkflowCore import WorkflowException
from tests.content import world
from z3c.relationfield import RelationValue
from zope.component import getUtility
from zope.intid.interfaces import IIntIds

import pytest
import requests
import transaction


def transition(obj, name, user, comment=""):
    """Fire a transition as a user; plone.api would hide the refusal's message."""
    with api.env.adopt_user(username=user):
        api.portal.get_tool("portal_workflow").doActionFor(obj, name, comment=comment)


class TestRequestWorkflow:
    @pytest.fixture(autouse=True)
    def _setup(self, portal):
        self.portal = portal
        content = world.build(portal)
        self.request = content["request"]
        self.product = content["product"]

    def state(self):
        return api.content.get_state(obj=self.request)

    def test_the_whole_way(self):
        transition(self.request, "submit", "owner")
        transition(self.request, "validate", "validator", "Within quota")
        self.request.distributor_reference = "SO-2026-0042"
        transition(self.request, "program", "operator")
        self.product.request = RelationValue(getUtility(IIntIds).getId(self.request))
        from zope.event import notify
        from zope.lifecycleevent import ObjectModifiedEvent

        notify(ObjectModifiedEvent(self.product))
        transition(self.request, "acquire", "operator")
        assert self.state() == "acquired"
        history = api.portal.get_tool("portal_workflow").getInfoFor(
            self.request, "review_history"
        )
        assert [h["action"] for h in history[1:]] == [
            "submit",
            "validate",
            "program",
            "acquire",
        ]
        assert history[2]["comments"] == "Within quota"
        assert history[2]["actor"] == "validator"

    @pytest.mark.parametrize("comment", ["", "   "])
    def test_rejection_needs_a_reason(self, comment):
        transition(self.request, "submit", "owner")
        with pytest.raises(WorkflowException, match="reason"):
            transition(self.request, "reject", "validator", comment)
        assert self.state() == "submitted"
        transition(self.request, "reject", "validator", "Quota exhausted")
        assert self.state() == "rejected"

    def test_window_in_the_past_cannot_be_submitted(self):
        self.request.window_start = date.today() - timedelta(days=1)
        with pytest.raises(WorkflowException, match="window"):
            transition(self.request, "submit", "owner")
        assert self.state() == "draft"

    def test_no_area_no_submission(self):
        self.request.footprint = None
        with pytest.raises(WorkflowException, match="area of interest"):
            transition(self.request, "submit", "owner")

    def test_programming_needs_the_distributor_reference(self):
        transition(self.request, "submit", "owner")
        transition(self.request, "validate", "validator")
        with pytest.raises(WorkflowException, match="reference"):
            transition(self.request, "program", "operator")
        assert self.state() == "validated"

    def test_acquired_needs_products(self):
        world.set_state(self.request, "programmed")
        with pytest.raises(WorkflowException, match="products"):
            transition(self.request, "acquire", "operator")

    def test_requester_cannot_validate(self):
        transition(self.request, "submit", "owner")
        with pytest.raises(WorkflowException):
            transition(self.request, "validate", "owner")
        assert self.state() == "submitted"


class TestOtherWorkflows:
    @pytest.fixture(autouse=True)
    def _setup(self, portal):
        self.portal = portal
        self.product = world.build(portal)["product"]

    def test_withdrawal_needs_a_reason(self):
        with pytest.raises(WorkflowException, match="reason"):
            transition(self.product, "withdraw", "operator")
        transition(self.product, "withdraw", "operator", "Wrong footprint")
        assert api.content.get_state(obj=self.product) == "withdrawn"

    def test_approval_needs_an_end_date(self):
        group = self.portal.groups.kuleuven
        group.approval_end = None
        with pytest.raises(WorkflowException, match="end date"):
            transition(group, "approve", "stereo")
        group.approval_end = date.today() - timedelta(days=3)
        with pytest.raises(WorkflowException, match="end date"):
            transition(group, "approve", "stereo")

    def test_suspension_needs_a_reason(self):
        with pytest.raises(WorkflowException, match="reason"):
            transition(self.portal.groups.ulb, "suspend", "stereo")


class TestOverHTTP:
    """The same refusals reach people as messages, never as errors."""

    @pytest.fixture(autouse=True)
    def _setup(self, functional_portal):
        content = world.build(functional_portal)
        api.content.transition(obj=content["request"], transition="submit")
        self.url = content["request"].absolute_url()
        transaction.commit()

    def test_restapi_refuses_rejection_without_reason(self):
        response = requests.post(
            f"{self.url}/@workflow/reject",
            json={},
            headers={"Accept": "application/json"},
            auth=("validator", world.PASSWORD),
            timeout=30,
        )
        assert response.status_code == 400
        assert "reason" in response.json()["error"]["message"]
        state = requests.get(
            self.url,
            headers={"Accept": "application/json"},
            auth=("validator", world.PASSWORD),
            timeout=30,
        ).json()["review_state"]
        assert state == "submitted"

    def test_restapi_refuses_a_transition_without_permission(self):
        response = requests.post(
            f"{self.url}/@workflow/validate",
            json={"comment": "I validate my own request"},
            headers={"Accept": "application/json"},
            auth=("owner", world.PASSWORD),
            timeout=30,
        )
        assert response.status_code == 400
        assert response.json()["error"]["type"] == "WorkflowException"

    def test_classic_ui_shows_the_reason_needed(self, functional_portal):
        from plone.testing.zope import Browser

        browser = Browser(functional_portal.aq_parent)
        browser.addHeader("Authorization", f"Basic validator:{world.PASSWORD}")
        browser.open(f"{self.url}/content_status_history?workflow_action=reject")
        browser.getControl(name="form.button.Publish").click()
        assert "Give the reason for this decision" in browser.contents
        assert "content_status_history" in browser.url
