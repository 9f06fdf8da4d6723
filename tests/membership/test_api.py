"""Join requests and memberships' ends through the Python API."""

from AccessControl import Unauthorized
from belspo.pleiades.membership import api as membership
from belspo.pleiades.membership import plugin
from belspo.pleiades.membership.api import JoinRefused
from datetime import date
from datetime import timedelta
from plone import api
from plone.app.testing import logout
from Products.PluggableAuthService.interfaces.plugins import IGroupsPlugin
from tests.content import world
from tests.content.test_community import can_download

import pytest


YESTERDAY = date.today() - timedelta(days=1)
NEXT_MONTH = date.today() + timedelta(days=30)


def ask(group, userid: str, message: str = ""):
    with api.env.adopt_user(username=userid):
        return membership.ask(group, message)


def decide(group, request, userid: str, approve=True, reason="", until=None):
    with api.env.adopt_user(username=userid):
        return membership.decide(group, request.id, approve, reason, until)


class TestJoining:
    @pytest.fixture(autouse=True)
    def _setup(self, portal):
        self.portal = portal
        self.product = world.build(portal)["product"]
        self.group = portal.groups.ulb

    def test_a_new_member_downloads_nothing_until_approved(self):
        request = ask(self.group, "member", "I map the Sonian forest")
        assert request.state == membership.PENDING
        assert membership.pending(self.group) == [request]
        assert request.message == "I map the Sonian forest"
        assert "member" not in self.group.member_ids()
        assert not can_download("member", self.product)

    def test_the_leader_approves(self):
        request = ask(self.group, "member")
        decide(self.group, request, "leader")
        assert request.state == membership.APPROVED
        assert request.decided_by == "leader"
        assert "member" in self.group.member_ids()
        assert membership.pending(self.group) == []
        assert can_download("member", self.product)

    def test_stereo_management_approves(self):
        request = ask(self.group, "member")
        decide(self.group, request, "stereo")
        assert can_download("member", self.product)

    @pytest.mark.parametrize("userid", ["colleague", "outsider", "validator"])
    def test_others_may_not_decide(self, userid):
        request = ask(self.group, "member")
        with pytest.raises(Unauthorized):
            decide(self.group, request, userid)
        assert request.state == membership.PENDING
        assert "member" not in self.group.member_ids()

    def test_a_refusal_needs_a_reason_and_keeps_it(self):
        request = ask(self.group, "member")
        with pytest.raises(JoinRefused, match="reason"):
            decide(self.group, request, "leader", approve=False, reason="  ")
        assert request.state == membership.PENDING
        decide(self.group, request, "leader", approve=False, reason="Not ULB staff")
        assert request.state == membership.REFUSED
        assert request.reason == "Not ULB staff"
        assert "member" not in self.group.member_ids()
        assert not can_download("member", self.product)

    def test_a_refused_member_may_ask_again(self):
        first = ask(self.group, "member")
        decide(self.group, first, "leader", approve=False, reason="Which lab?")
        second = ask(self.group, "member", "Lab of geography")
        assert membership.requests_of(self.group, "member") == [second, first]

    def test_asking_twice_is_refused(self):
        ask(self.group, "member")
        with pytest.raises(JoinRefused, match="already asked"):
            ask(self.group, "member")
        assert len(membership.pending(self.group)) == 1

    def test_a_member_may_not_ask_again(self):
        with pytest.raises(JoinRefused, match="already a member"):
            ask(self.group, "colleague")

    @pytest.mark.parametrize(
        "state,refusal",
        [
            ("suspended", "is suspended"),
            ("expired", "approval of ULB has ended"),
            ("pending", "not approved"),
        ],
    )
    def test_a_group_that_takes_no_members_refuses(self, state, refusal):
        world.set_state(self.group, state)
        with pytest.raises(JoinRefused, match=refusal):
            ask(self.group, "member")
        assert membership.pending(self.group) == []

    def test_a_group_past_its_approval_end_refuses(self):
        self.group.approval_end = YESTERDAY
        with pytest.raises(JoinRefused, match="has ended"):
            ask(self.group, "member")

    def test_a_message_has_a_limit(self):
        with pytest.raises(JoinRefused, match="too long"):
            ask(self.group, "member", "x" * (membership.MESSAGE_LIMIT + 1))

    def test_anonymous_visitors_may_not_ask(self):
        logout()
        with pytest.raises(Unauthorized):
            membership.ask(self.group)

    def test_nobody_decides_on_their_own_request(self):
        other = world.user_group(self.portal, "vub", "VUB", leaders=("leader",))
        request = ask(other, "leader")
        with pytest.raises(JoinRefused, match="Someone else"):
            decide(other, request, "leader")
        decide(other, request, "stereo")
        assert "leader" in other.member_ids()

    def test_a_decision_is_made_once(self):
        request = ask(self.group, "member")
        decide(self.group, request, "leader")
        with pytest.raises(JoinRefused, match="decided already"):
            decide(self.group, request, "stereo", approve=False, reason="Too late")
        assert request.state == membership.APPROVED

    def test_an_unknown_request_is_refused(self):
        with api.env.adopt_user(username="leader"), pytest.raises(JoinRefused):
            membership.decide(self.group, "f" * 32, True)

    def test_a_member_withdraws_a_pending_request(self):
        request = ask(self.group, "member")
        with api.env.adopt_user(username="outsider"), pytest.raises(JoinRefused):
            membership.withdraw(self.group, request.id)
        with api.env.adopt_user(username="member"):
            membership.withdraw(self.group, request.id)
        assert request.state == membership.WITHDRAWN
        assert membership.pending(self.group) == []
        ask(self.group, "member")  # may ask again


class TestExpiry:
    @pytest.fixture(autouse=True)
    def _setup(self, portal):
        self.portal = portal
        self.product = world.build(portal)["product"]
        self.group = portal.groups.ulb

    def approve_until(self, until, group=None, userid="member"):
        group = group or self.group
        request = ask(group, userid)
        decide(group, request, "stereo", until=until)
        return request

    def test_the_plugin_replaces_source_groups(self):
        registry = self.portal.acl_users.plugins
        active = registry.listPluginIds(IGroupsPlugin)
        assert plugin.PLUGIN_ID in active
        assert plugin.SOURCE_ID not in active
        assert active.index(plugin.PLUGIN_ID) < active.index("recursive_groups")

    def test_the_last_day_still_counts(self):
        request = self.approve_until(date.today())
        assert request.until == date.today()
        assert membership.membership_end(self.group, "member") == date.today()
        assert can_download("member", self.product)

    def test_after_the_end_the_member_no_longer_downloads(self):
        self.approve_until(NEXT_MONTH)
        assert can_download("member", self.product)
        # The end passes: nothing runs, the next check decides.
        membership.set_membership_end(self.group, "member", YESTERDAY)
        assert not can_download("member", self.product)
        assert "usergroup-ulb" not in api.user.get(userid="member").getGroups()
        # Still listed, so that the leaders see who has expired.
        assert "member" in self.group.member_ids()
        assert membership.is_expired(self.group, "member")

    def test_an_end_date_in_the_past_is_refused(self):
        request = ask(self.group, "member")
        with pytest.raises(JoinRefused, match="today or later"):
            decide(self.group, request, "leader", until=YESTERDAY)
        with pytest.raises(JoinRefused, match="today or later"):
            membership.parse_until(YESTERDAY.isoformat())
        with pytest.raises(JoinRefused, match="not a date"):
            membership.parse_until("31/12/2030")
        assert membership.parse_until(" ") is None

    def test_an_expired_member_asks_again_and_is_renewed(self):
        self.approve_until(NEXT_MONTH)
        membership.set_membership_end(self.group, "member", YESTERDAY)
        self.approve_until(None)
        assert membership.membership_end(self.group, "member") is None
        assert can_download("member", self.product)

    def test_the_leader_moves_an_end_on(self):
        self.approve_until(NEXT_MONTH)
        membership.set_membership_end(self.group, "member", YESTERDAY)
        with api.env.adopt_user(username="colleague"), pytest.raises(Unauthorized):
            membership.change_membership_end(self.group, "member", None)
        with api.env.adopt_user(username="leader"):
            membership.change_membership_end(self.group, "member", NEXT_MONTH)
        assert can_download("member", self.product)

    def test_leaving_and_coming_back_forgets_the_old_end(self):
        self.approve_until(NEXT_MONTH)
        membership.set_membership_end(self.group, "member", YESTERDAY)
        self.group.remove_member("member")
        self.group.add_member("member")  # by the leader, on @@members
        assert membership.membership_end(self.group, "member") is None
        assert can_download("member", self.product)

    def test_several_groups_each_with_its_own_end(self):
        vub = world.user_group(self.portal, "vub", "VUB", leaders=("leader",))
        self.approve_until(NEXT_MONTH)
        self.approve_until(None, group=vub)
        groups = api.user.get(userid="member").getGroups()
        assert {"usergroup-ulb", "usergroup-vub"} <= set(groups)
        membership.set_membership_end(self.group, "member", YESTERDAY)
        groups = api.user.get(userid="member").getGroups()
        assert "usergroup-ulb" not in groups
        assert "usergroup-vub" in groups
        assert can_download("member", self.product)  # through VUB
        api.content.transition(obj=vub, transition="suspend", comment="Audit")
        assert not can_download("member", self.product)

    def test_uninstalling_gives_every_membership_back(self):
        self.approve_until(NEXT_MONTH)
        membership.set_membership_end(self.group, "member", YESTERDAY)
        plugin.uninstall(self.portal)
        registry = self.portal.acl_users.plugins
        assert plugin.SOURCE_ID in registry.listPluginIds(IGroupsPlugin)
        assert plugin.PLUGIN_ID not in self.portal.acl_users.objectIds()
        assert can_download("member", self.product)
        plugin.install(self.portal)
        assert not can_download("member", self.product)


class TestInstallation:
    def test_the_uninstall_profile_gives_groups_back_to_plone(
        self, portal, uninstalled
    ):
        active = portal.acl_users.plugins.listPluginIds(IGroupsPlugin)
        assert plugin.SOURCE_ID in active
        assert plugin.PLUGIN_ID not in active
        assert plugin.PLUGIN_ID not in portal.acl_users.objectIds()

    def test_reinstalling_puts_the_plugin_back(
        self, portal, uninstalled, installer, package_name
    ):
        installer.install_product(package_name)
        active = portal.acl_users.plugins.listPluginIds(IGroupsPlugin)
        assert plugin.PLUGIN_ID in active
        assert plugin.SOURCE_ID not in active
