"""User community rules: approval, suspension and end date decide access at once."""

from datetime import date
from datetime import timedelta
from plone import api
from tests.content import world
from zope.annotation.interfaces import IAnnotations

import pytest


DOWNLOAD = "belspo.pleiades: Download product"


def forget_cached_roles(obj) -> None:
    """borg.localrole caches local roles per request; every test step is a new one."""
    annotations = IAnnotations(obj.REQUEST)
    for key in [k for k in annotations if str(k).startswith("borg.localrole")]:
        del annotations[key]


def can_download(user: str, obj) -> bool:
    forget_cached_roles(obj)
    with api.env.adopt_user(username=user):
        return bool(api.user.has_permission(DOWNLOAD, obj=obj))


class TestAccess:
    @pytest.fixture(autouse=True)
    def _setup(self, portal):
        self.portal = portal
        self.product = world.build(portal)["product"]
        self.group = portal.groups.ulb

    def test_approved_member_downloads(self):
        assert can_download("colleague", self.product)
        assert not can_download("member", self.product)

    def test_pending_group_gives_nothing(self):
        assert not can_download("outsider", self.product)

    def test_approving_grants_at_once(self):
        kuleuven = self.portal.groups.kuleuven
        kuleuven.approval_end = date.today()
        api.content.transition(obj=kuleuven, transition="approve")
        assert can_download("outsider", self.product)

    def test_suspension_removes_at_once(self):
        api.content.transition(
            obj=self.group, transition="suspend", comment="Licence breach"
        )
        assert not can_download("colleague", self.product)

    def test_end_date_passed_removes_without_any_job(self):
        self.group.approval_end = date.today() - timedelta(days=1)
        assert not can_download("colleague", self.product)

    def test_last_day_still_counts(self):
        self.group.approval_end = date.today()
        assert can_download("colleague", self.product)

    def test_member_of_several_groups_keeps_access_from_the_active_one(self):
        self.group.add_member("outsider")
        api.content.transition(obj=self.group, transition="suspend", comment="Audit")
        assert not can_download("outsider", self.product)
        other = world.user_group(self.portal, "vito", "VITO", leaders=())
        other.add_member("outsider")
        assert can_download("outsider", self.product)

    def test_pas_group_follows_the_user_group(self):
        assert api.group.get(groupname="usergroup-ulb").getProperty("title") == "ULB"
        api.content.delete(obj=self.portal.groups.kuleuven)
        assert api.group.get(groupname="usergroup-kuleuven") is None

    def test_members_request_for_the_group(self):
        with api.env.adopt_user(username="colleague"):
            assert api.user.has_permission(
                "belspo.pleiades: Add AcquisitionRequest", obj=self.portal.requests
            )
        with api.env.adopt_user(username="member"):
            assert not api.user.has_permission(
                "belspo.pleiades: Add AcquisitionRequest", obj=self.portal.requests
            )

    def test_new_leader_sees_the_groups_requests(self):
        request = self.portal.requests.r1
        with api.env.adopt_user(username="stereo"):
            assert not api.content.find(UID=request.UID())
        self.group.leaders = ["leader", "stereo"]
        from zope.event import notify
        from zope.lifecycleevent import ObjectModifiedEvent

        notify(ObjectModifiedEvent(self.group))
        forget_cached_roles(request)
        with api.env.adopt_user(username="stereo"):
            assert api.content.find(UID=request.UID())
            assert api.user.has_permission("Modify portal content", obj=request)


class TestMembersView:
    """The leader manages membership through the group's @@members page."""

    @pytest.fixture(autouse=True)
    def _setup(self, functional_portal):
        import transaction

        self.portal = functional_portal
        world.build(functional_portal)
        transaction.commit()

    def browser_as(self, user):
        from plone.testing.zope import Browser

        browser = Browser(self.portal.aq_parent)
        browser.handleErrors = False
        browser.addHeader("Authorization", f"Basic {user}:{world.PASSWORD}")
        return browser

    def test_leader_adds_and_removes(self):
        browser = self.browser_as("leader")
        browser.open(f"{self.portal.absolute_url()}/groups/ulb/@@members")
        assert "colleague" in browser.contents
        browser.getControl(name="user").value = "member@example.org"
        browser.getControl(name="add").click()
        assert "member is now a member" in browser.contents
        assert "member" in api.group.get(groupname="usergroup-ulb").getGroupMemberIds()
        browser.getControl(name="remove", index=0).click()
        assert "is no longer a member" in browser.contents

    def test_unknown_user_is_refused(self):
        browser = self.browser_as("leader")
        browser.open(f"{self.portal.absolute_url()}/groups/ulb/@@members")
        browser.getControl(name="user").value = "nobody-here"
        browser.getControl(name="add").click()
        assert "No user nobody-here" in browser.contents

    def test_members_cannot_manage(self):
        browser = self.browser_as("colleague")
        browser.handleErrors = True
        browser.raiseHttpErrors = False
        browser.open(f"{self.portal.absolute_url()}/groups/ulb/@@members")
        assert "Add member" not in browser.contents
        assert browser.url.endswith("insufficient-privileges")
