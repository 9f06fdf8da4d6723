"""The membership over HTTP, as people use it: register, ask, decide, expire.

Every message goes through a real SMTP listener; every change is a POST with
the user's own plone.protect authenticator unless the test forges one.
"""

from .conftest import refused
from .conftest import session
from .conftest import token
from .conftest import tree
from belspo.pleiades.membership import api as membership
from datetime import date
from datetime import timedelta
from plone import api
from tests.content import world
from tests.notifications.conftest import free_port

import re
import transaction


YESTERDAY = date.today() - timedelta(days=1)
NEXT_MONTH = date.today() + timedelta(days=30)


def address(userid: str) -> str:
    return f"{userid}@example.org"


def own_token(community, http) -> str:
    """The user's authenticator, from a form every member has."""
    return token(http, f"{community.url}/@@personal-information")


def ask(community, user: str, group: str = "ulb", message: str = ""):
    """``user`` asks to join ``group`` as the join page's form does."""
    http = session(user)
    form = {
        "_authenticator": own_token(community, http),
        "group": group,
        "message": message,
    }
    return http.post(
        f"{community.url}/@@join-group", data=form, allow_redirects=False, timeout=60
    )


def pending_id(community, group: str = "ulb", userid: str = "member") -> str:
    transaction.begin()  # see what the server committed
    register = membership.register_of(community.portal.groups[group])
    return register.open[userid]


def decide(community, user: str, page: str, **form):
    """``user`` posts a decision to the join requests page at ``page``."""
    http = session(user)
    form.setdefault("_authenticator", own_token(community, http))
    return http.post(page, data=form, allow_redirects=False, timeout=60)


def group_page(community, group: str = "ulb") -> str:
    return f"{community.url}/groups/{group}/@@join-requests"


def can_download(community, user: str) -> bool:
    response = session(user).get(
        community.download_url, allow_redirects=False, timeout=60
    )
    return response.status_code == 200


def error_of(response) -> str:
    return " ".join(
        e.text_content().strip()
        for e in tree(response).cssselect(".pleiades-join-error")
    )


class TestRegistration:
    def test_a_visitor_registers_and_sets_the_password_from_the_mail(self, community):
        http = session()
        page = tree(http.get(f"{community.url}/@@register", timeout=60))
        (form,) = [f for f in page.forms if f.action.endswith("/@@register")]
        assert "form.widgets.password" not in form.fields  # chosen from the mail
        fields = dict(form.form_values())
        fields.update(
            {
                "form.widgets.fullname": "Anne Lejeune",
                "form.widgets.username": "alejeune",
                "form.widgets.email": "anne@example.org",
                "form.buttons.register": "Register",
            }
        )
        assert http.post(form.action, data=fields, timeout=60).status_code == 200
        (mail,) = community.inbox.received
        assert mail.to == "anne@example.org"
        link = re.search(r"http\S+/passwordreset/\S+", mail.body).group(0)
        reset = tree(http.get(link, timeout=60))
        (form,) = [f for f in reset.forms if "/passwordreset/" in f.action]
        http.post(
            form.action,
            data={
                "userid": "alejeune",
                "password": "a-long-new-password",
                "password2": "a-long-new-password",
                "form.submitted": "1",
            },
            timeout=60,
        )
        member = session("alejeune", "a-long-new-password")
        mine = member.get(f"{community.url}/@@my-requests", timeout=60)
        assert mine.status_code == 200
        assert "You are not a member of a user group yet." in mine.text
        # Registered, not yet in a group: no download.
        assert not can_download(community, "alejeune")

    def test_the_join_page_is_for_members(self, community):
        response = session().get(
            f"{community.url}/@@join-group", allow_redirects=False, timeout=60
        )
        assert refused(response)


class TestAskAndDecide:
    def test_ask_then_the_leader_approves(self, community):
        assert not can_download(community, "member")
        asked = ask(community, "member", message="I map the Sonian forest")
        assert asked.status_code == 302
        assert asked.headers["Location"].endswith("/@@my-requests")
        (mail,) = community.inbox.received
        assert mail.to == address("leader")
        assert mail.subject == "Request to join ULB: member"
        assert "member (user member, member@example.org) asks to join" in mail.body
        assert "Their message: I map the Sonian forest" in mail.body
        assert f"{group_page(community)}" in mail.body
        community.inbox.clear()

        page = tree(session("leader").get(group_page(community), timeout=60))
        (row,) = page.cssselect(".pleiades-join-request")
        assert row.get("data-user") == "member"
        assert "I map the Sonian forest" in row.text_content()

        decided = decide(
            community,
            "leader",
            group_page(community),
            group="ulb",
            request=row.get("data-request"),
            decision="approve",
        )
        assert decided.status_code == 302
        (mail,) = community.inbox.received
        assert mail.to == address("member")
        assert mail.subject == "Welcome to ULB"
        assert "has been approved" in mail.body
        assert "ends on" not in mail.body
        assert can_download(community, "member")

    def test_stereo_management_approves_from_the_portal_page(self, community):
        ask(community, "member")
        community.inbox.clear()
        page_url = f"{community.url}/@@join-requests"
        page = tree(session("stereo").get(page_url, timeout=60))
        (row,) = page.cssselect(".pleiades-join-request")
        assert row.get("data-group") == "ulb"
        decided = decide(
            community,
            "stereo",
            page_url,
            group="ulb",
            request=row.get("data-request"),
            decision="approve",
            until=NEXT_MONTH.isoformat(),
        )
        assert decided.status_code == 302
        (mail,) = community.inbox.received
        assert f"Your membership ends on {NEXT_MONTH.isoformat()}." in mail.body
        assert can_download(community, "member")

    def test_a_refusal_needs_a_reason_and_tells_it(self, community):
        ask(community, "member")
        community.inbox.clear()
        request_id = pending_id(community)
        unexplained = decide(
            community,
            "leader",
            group_page(community),
            group="ulb",
            request=request_id,
            decision="refuse",
        )
        assert unexplained.status_code == 400
        assert "Give the reason for the refusal" in error_of(unexplained)
        assert community.inbox.received == []
        decide(
            community,
            "leader",
            group_page(community),
            group="ulb",
            request=request_id,
            decision="refuse",
            reason="Not a member of ULB's staff",
        )
        (mail,) = community.inbox.received
        assert mail.to == address("member")
        assert mail.subject == "Request to join ULB refused"
        assert "Reason: Not a member of ULB's staff" in mail.body
        assert not can_download(community, "member")
        mine = session("member").get(f"{community.url}/@@my-requests", timeout=60)
        (row,) = tree(mine).cssselect(".pleiades-my-join-requests tbody tr")
        assert row.get("data-state") == "refused"
        assert "Not a member of ULB's staff" in row.text_content()

    def test_a_member_who_leads_no_group_may_not_decide(self, community):
        ask(community, "member")
        request_id = pending_id(community)
        for user, page in (
            ("colleague", f"{community.url}/@@join-requests"),
            ("colleague", group_page(community)),
            ("outsider", group_page(community)),
        ):
            # A valid authenticator of their own, on a page they may see.
            http = session(user)
            form = {
                "_authenticator": own_token(community, http),
                "group": "ulb",
                "request": request_id,
                "decision": "approve",
            }
            response = http.post(page, data=form, allow_redirects=False, timeout=60)
            assert refused(response), (user, page, response.status_code)
        assert pending_id(community) == request_id
        assert not can_download(community, "member")

    def test_the_leader_of_another_group_may_not_decide_here(self, community):
        world.user_group(community.portal, "vub", "VUB", leaders=("colleague",))
        transaction.commit()
        ask(community, "member")
        response = decide(
            community,
            "colleague",
            f"{community.url}/@@join-requests",  # they manage VUB: the page opens
            group="ulb",
            request=pending_id(community),
            decision="approve",
        )
        assert refused(response)
        assert not can_download(community, "member")

    def test_a_group_without_leaders_tells_stereo_management(self, community):
        world.user_group(community.portal, "vito", "VITO", leaders=())
        transaction.commit()
        ask(community, "member", "vito")
        (mail,) = community.inbox.received
        assert mail.to == address("stereo")
        assert mail.subject == "Request to join VITO: member"

    def test_a_mail_server_that_is_down_loses_no_request(self, community):
        api.portal.set_registry_record("plone.smtp_port", free_port())
        transaction.commit()
        asked = ask(community, "member")
        assert asked.status_code == 302
        assert community.inbox.received == []
        assert pending_id(community)

    def test_several_groups(self, community):
        world.user_group(community.portal, "vub", "VUB", leaders=("colleague",))
        transaction.commit()
        ask(community, "member", "ulb")
        ask(community, "member", "vub")
        assert {m.to for m in community.inbox.received} == {
            address("leader"),
            address("colleague"),
        }
        for leader, group in (("leader", "ulb"), ("colleague", "vub")):
            decide(
                community,
                leader,
                group_page(community, group),
                group=group,
                request=pending_id(community, group),
                decision="approve",
            )
        mine = tree(session("member").get(f"{community.url}/@@my-requests", timeout=60))
        assert [
            li.get("data-status") for li in mine.cssselect(".pleiades-memberships li")
        ] == ["member", "member"]
        assert len(mine.cssselect(".pleiades-my-join-requests tbody tr")) == 2
        transaction.begin()
        groups = api.user.get(userid="member").getGroups()
        assert {"usergroup-ulb", "usergroup-vub"} <= set(groups)


class TestBadInput:
    def test_asking_twice(self, community):
        ask(community, "member")
        again = ask(community, "member")
        assert again.status_code == 400
        assert "You have already asked to join ULB" in error_of(again)
        assert len(community.inbox.received) == 1

    def test_joining_a_suspended_group(self, community):
        world.set_state(community.portal.groups.ulb, "suspended")
        transaction.commit()
        # Its leaders see it and are told why; others do not see it at all.
        response = ask(community, "leader")
        assert response.status_code == 400
        assert "ULB is suspended: it takes no new members" in error_of(response)
        response = ask(community, "member")
        assert response.status_code == 400
        assert "There is no user group ulb." in error_of(response)
        assert community.inbox.received == []

    def test_an_unknown_group_and_a_group_one_may_not_see(self, community):
        for group in ("no-such-group", "kuleuven"):  # KU Leuven: pending
            response = ask(community, "member", group)
            assert response.status_code == 400
            assert f"There is no user group {group}." in error_of(response)
        assert community.inbox.received == []

    def test_a_post_without_the_authenticator_is_forbidden(self, community):
        http = session("member")
        response = http.post(
            f"{community.url}/@@join-group",
            data={"group": "ulb"},
            allow_redirects=False,
            timeout=60,
        )
        assert response.status_code == 403
        ask(community, "member")
        request_id = pending_id(community)
        forged = decide(
            community,
            "leader",
            group_page(community),
            _authenticator="0" * 40,
            group="ulb",
            request=request_id,
            decision="approve",
        )
        assert forged.status_code == 403
        # A link that would approve by GET changes nothing either.
        session("leader").get(
            group_page(community),
            params={"group": "ulb", "request": request_id, "decision": "approve"},
            timeout=60,
        )
        assert pending_id(community) == request_id
        assert not can_download(community, "member")

    def test_an_unknown_request(self, community):
        response = decide(
            community,
            "leader",
            group_page(community),
            group="ulb",
            request="f" * 32,
            decision="approve",
        )
        assert response.status_code == 400
        assert "There is no such request to join ULB." in error_of(response)

    def test_an_end_date_that_is_not_a_date(self, community):
        ask(community, "member")
        response = decide(
            community,
            "leader",
            group_page(community),
            group="ulb",
            request=pending_id(community),
            decision="approve",
            until="next year",
        )
        assert response.status_code == 400
        assert "next year is not a date" in error_of(response)
        assert not can_download(community, "member")


class TestExpiry:
    def approve_until(self, community, until: date) -> None:
        ask(community, "member")
        decide(
            community,
            "leader",
            group_page(community),
            group="ulb",
            request=pending_id(community),
            decision="approve",
            until=until.isoformat(),
        )

    def test_the_end_date_ends_downloads_at_the_next_check(self, community):
        self.approve_until(community, date.today())
        assert can_download(community, "member")
        transaction.begin()
        # The day passes: nothing runs, the next request decides.
        membership.set_membership_end(community.portal.groups.ulb, "member", YESTERDAY)
        transaction.commit()
        assert not can_download(community, "member")
        leader = tree(session("leader").get(group_page(community), timeout=60))
        (row,) = leader.cssselect(".pleiades-members tr[data-user=member]")
        assert row.cssselect(".pleiades-member-expired")
        mine = tree(session("member").get(f"{community.url}/@@my-requests", timeout=60))
        (membership_row,) = mine.cssselect(".pleiades-memberships li")
        assert membership_row.get("data-status") == "expired"
        assert YESTERDAY.isoformat() in membership_row.text_content()

    def test_the_leader_moves_the_end_on(self, community):
        self.approve_until(community, date.today())
        transaction.begin()
        membership.set_membership_end(community.portal.groups.ulb, "member", YESTERDAY)
        transaction.commit()
        moved = decide(
            community,
            "leader",
            group_page(community),
            group="ulb",
            member="member",
            until=NEXT_MONTH.isoformat(),
        )
        assert moved.status_code == 302
        assert can_download(community, "member")


class TestPages:
    def test_the_group_page_offers_to_join(self, community):
        group_url = community.portal.groups.ulb.absolute_url()
        assert refused(session().get(group_url, allow_redirects=False, timeout=60))
        http = session("member")
        (form,) = tree(http.get(group_url, timeout=60)).cssselect(
            ".pleiades-join-viewlet form"
        )
        assert form.get("action") == f"{community.url}/@@join-group"
        fields = dict(form.form_values())
        fields["message"] = "From the group's page"
        sent = http.post(form.get("action"), data=fields, timeout=60)
        assert sent.status_code == 200  # the redirection to @@my-requests
        assert sent.url.endswith("/@@my-requests")
        (status,) = tree(http.get(group_url, timeout=60)).cssselect(
            ".pleiades-join-status"
        )
        assert status.get("data-status") == "asked"
        (mail,) = community.inbox.received
        assert "Their message: From the group's page" in mail.body
        leader = tree(session("leader").get(group_url, timeout=60))
        (manage,) = leader.cssselect(".pleiades-join-manage")
        assert "awaiting a decision: 1" in manage.text_content()

    def test_the_personal_menu(self, community):
        def menu(user: str) -> set[str]:
            page = tree(session(user).get(community.url, timeout=60))
            links = page.cssselect("#collapse-personaltools a")
            return {a.get("href").rsplit("/", 1)[-1] for a in links}

        assert {"@@my-requests", "@@my-downloads"} <= menu("member")
        assert "@@join-requests" not in menu("member")
        assert "@@join-requests" in menu("leader")
        assert "@@join-requests" in menu("stereo")

    def test_a_member_withdraws_a_request(self, community):
        ask(community, "member")
        http = session("member")
        page = f"{community.url}/@@my-requests"
        response = http.post(
            page,
            data={
                "_authenticator": own_token(community, http),
                "group": "ulb",
                "withdraw": pending_id(community),
            },
            allow_redirects=False,
            timeout=60,
        )
        assert response.status_code == 302
        (row,) = tree(http.get(page, timeout=60)).cssselect(
            ".pleiades-my-join-requests tbody tr"
        )
        assert row.get("data-state") == "withdrawn"
        leader = tree(session("leader").get(group_page(community), timeout=60))
        assert leader.cssselect(".pleiades-join-request") == []

    def test_my_requests_lists_the_acquisition_requests(self, community):
        page = tree(session("owner").get(f"{community.url}/@@my-requests", timeout=60))
        (row,) = page.cssselect(".pleiades-my-acquisition-requests tbody tr")
        assert row.get("data-state") == "draft"
        assert "Request r1" in row.text_content()
        assert "ULB" in row.text_content()
        other = tree(
            session("member").get(f"{community.url}/@@my-requests", timeout=60)
        )
        assert other.cssselect(".pleiades-my-acquisition-requests") == []

    def test_my_requests_tells_when_a_group_gives_no_access(self, community):
        page = tree(
            session("outsider").get(f"{community.url}/@@my-requests", timeout=60)
        )
        (row,) = page.cssselect(".pleiades-memberships li")
        assert "KU Leuven" in row.text_content()
        (state,) = row.cssselect(".pleiades-group-state")
        assert state.text_content().split() == [
            "(user",
            "group:",
            "Pending",
            "approval)",
        ]

    def test_a_decision_reaches_the_member_in_their_language(self, community):
        api.user.get(userid="member").setMemberProperties({"language": "fr"})
        transaction.commit()
        ask(community, "member")
        community.inbox.clear()
        decide(
            community,
            "leader",
            group_page(community),
            group="ulb",
            request=pending_id(community),
            decision="approve",
        )
        (mail,) = community.inbox.received
        assert mail.message["Content-Language"] == "fr"
