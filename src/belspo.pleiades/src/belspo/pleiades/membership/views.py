"""The membership's pages: ask to join, decide on requests, a member's requests.

- ``@@join-group`` (portal): the user groups a member may ask to join, each
  with its form; it also takes the form of a group's page (``JoinViewlet``).
- ``@@join-requests`` (portal): the pending requests of every group the user
  manages, to approve or refuse; on a UserGroup, that group's requests, its
  members with their memberships' ends (expired ones shown) and its history.
- ``@@my-requests`` (portal): a member's acquisition and join requests.

Every change is a POST carrying plone.protect's authenticator; a refused
change answers 400 with the reason on the page, a change the user may not
make raises ``Unauthorized``.
"""

from AccessControl import Unauthorized
from belspo.pleiades import _
from belspo.pleiades.content.roles import find_user_group
from belspo.pleiades.content.user_group import IUserGroup
from belspo.pleiades.content.user_group import UserGroup
from belspo.pleiades.membership import api as membership
from belspo.pleiades.membership.api import JoinRefused
from belspo.pleiades.membership.api import JoinRequest
from datetime import date
from datetime import datetime
from plone import api
from plone.app.layout.viewlets import ViewletBase
from plone.memoize.view import memoize
from plone.protect import CheckAuthenticator
from Products.Five import BrowserView
from Products.statusmessages.interfaces import IStatusMessage
from zope.i18n import translate
from zope.i18nmessageid import Message


# What a member is to a group, as the pages say it.
MEMBER = "member"
EXPIRED = "expired"
ASKED = "asked"
JOINABLE = "joinable"
CLOSED = "closed"
# How many decided requests a group's page lists.
HISTORY_LISTED = 50


def when(value: datetime | date | None) -> str:
    """A date or a time as the pages show it (UTC for times)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return value.isoformat()


def person(userid: str) -> dict:
    """A user's id, name and address; the id alone once the user is gone."""
    user = api.user.get(userid=userid)
    return {
        "id": userid,
        "name": (user.getProperty("fullname", "") if user else "") or userid,
        "email": (user.getProperty("email", "") if user else "") or "",
    }


def standing(group: UserGroup, userid: str) -> dict:
    """What ``userid`` is to ``group``: member (until), expired, asked, joinable."""
    end = membership.membership_end(group, userid)
    if userid in group.member_ids():
        expired = membership.is_expired(group, userid)
        return {"status": EXPIRED if expired else MEMBER, "until": when(end)}
    register = membership.register_of(group)
    if register is not None and userid in register.open:
        asked = register.requests[register.open[userid]]
        return {"status": ASKED, "until": "", "asked": when(asked.created)}
    try:
        membership.check_joinable(group)
    except JoinRefused:
        return {"status": CLOSED, "until": ""}
    return {"status": JOINABLE, "until": ""}


class MembershipPage(BrowserView):
    """What the membership's pages share: the form's outcome, translated."""

    error = None

    def __call__(self):
        if self.request.method == "POST":
            CheckAuthenticator(self.request)
            try:
                done = self.change(self.request.form)
            except JoinRefused as refused:
                self.error = self.translated(refused.message)
                self.request.response.setStatus(400)
                return self.index()
            IStatusMessage(self.request).add(self.translated(done), type="info")
            return self.request.response.redirect(self.next_url())
        return self.index()

    def change(self, form: dict) -> Message:
        """Make the change the form asks for; say what was done."""
        raise NotImplementedError

    def next_url(self) -> str:
        return f"{self.context.absolute_url()}/@@{self.__name__}"

    def translated(self, message) -> str:
        return translate(message, context=self.request)

    def portal_url(self) -> str:
        return api.portal.get().absolute_url()

    def userid(self) -> str:
        return api.user.get_current().getId()

    def group_from(self, form: dict) -> UserGroup:
        """The UserGroup the form names.

        :raises JoinRefused: there is none, or the user may not see it.
        """
        group_id = str(form.get("group", "")).strip()
        group = find_user_group(group_id)
        if group is None or not api.user.has_permission("View", obj=group):
            raise JoinRefused(
                _("There is no user group ${group}.", mapping={"group": group_id})
            )
        return group

    def request_row(self, group: UserGroup, request: JoinRequest) -> dict:
        return {
            "id": request.id,
            "group": group.getId(),
            "group_title": group.Title(),
            "group_url": group.absolute_url(),
            "person": person(request.userid),
            "created": when(request.created),
            "message": request.message,
            "state": request.state,
            "state_title": self.translated(membership.STATE_TITLES[request.state]),
            "decided": when(request.decided),
            "decided_by": request.decided_by or "",
            "reason": request.reason,
            "until": when(request.until),
        }


class JoinGroupView(MembershipPage):
    """``@@join-group``: ask to join one of the approved user groups."""

    def change(self, form: dict) -> Message:
        group = self.group_from(form)
        membership.ask(group, str(form.get("message", "")))
        return _(
            "Your request to join ${group} is sent: its leaders decide on it, and "
            "you will be told by e-mail.",
            mapping={"group": group.Title()},
        )

    def next_url(self) -> str:
        return f"{self.portal_url()}/@@my-requests"

    @memoize
    def groups(self) -> list[dict]:
        """The groups the member sees, with what the member is to each."""
        userid = self.userid()
        rows = []
        for group in membership.user_groups():
            if not api.user.has_permission("View", obj=group):
                continue
            state = standing(group, userid)
            if state["status"] == CLOSED:
                continue
            rows.append(
                {
                    "id": group.getId(),
                    "title": group.Title(),
                    "description": group.Description(),
                    "url": group.absolute_url(),
                    **state,
                }
            )
        return rows

    def selected(self) -> str:
        """The group the page was opened for (``?group=``), if any."""
        return str(self.request.form.get("group", ""))

    def message_limit(self) -> int:
        return membership.MESSAGE_LIMIT


class JoinRequestsView(MembershipPage):
    """``@@join-requests``: approve or refuse; on a group, its members' ends too."""

    def __call__(self):
        if not self.groups():
            raise Unauthorized("You manage no user group.")
        return super().__call__()

    def on_group(self) -> bool:
        return IUserGroup.providedBy(self.context)

    @memoize
    def groups(self) -> list[UserGroup]:
        """The groups whose requests the user decides on."""
        if self.on_group():
            return [self.context]
        return [g for g in membership.user_groups() if membership.may_manage(g)]

    def change(self, form: dict) -> Message:
        group = self.group_from(form)
        if form.get("member"):
            return self.change_end(group, str(form["member"]), form.get("until"))
        decision = form.get("decision")
        if decision not in ("approve", "refuse"):
            raise JoinRefused(_("Approve or refuse the request."))
        request = membership.decide(
            group,
            str(form.get("request", "")),
            approve=decision == "approve",
            reason=str(form.get("reason", "")),
            until=membership.parse_until(form.get("until")),
        )
        mapping = {"user": request.userid, "group": group.Title()}
        if decision == "approve":
            return _("${user} is now a member of ${group}.", mapping=mapping)
        return _("The request of ${user} to join ${group} is refused.", mapping=mapping)

    def change_end(self, group: UserGroup, userid: str, text) -> Message:
        if not membership.may_manage(group):
            raise Unauthorized("You do not manage the members of this group.")
        until = membership.parse_until(text)
        membership.change_membership_end(group, userid, until)
        mapping = {"user": userid, "date": when(until)}
        if until is None:
            return _("The membership of ${user} no longer ends.", mapping=mapping)
        return _("The membership of ${user} ends on ${date}.", mapping=mapping)

    def pending(self) -> list[dict]:
        """Every pending request of the groups, by group then oldest first."""
        return [
            self.request_row(group, request)
            for group in self.groups()
            for request in membership.pending(group)
        ]

    def members(self) -> list[dict]:
        """The group's members with their memberships' ends, expired ones marked."""
        if not self.on_group():
            return []
        today = membership.today()
        rows = []
        for userid in self.context.member_ids():
            end = membership.membership_end(self.context, userid)
            rows.append(
                {
                    **person(userid),
                    "until": when(end),
                    "expired": end is not None and end < today,
                }
            )
        return rows

    def history(self) -> list[dict]:
        """The group's decided requests, newest first."""
        if not self.on_group():
            return []
        decided = [r for r in membership.history(self.context) if r.state != "pending"]
        return [self.request_row(self.context, r) for r in decided[:HISTORY_LISTED]]

    def today(self) -> str:
        return membership.today().isoformat()


class MyRequestsView(MembershipPage):
    """``@@my-requests``: a member's acquisition requests and join requests."""

    def change(self, form: dict) -> Message:
        group = find_user_group(str(form.get("group", "")))
        if group is None:
            raise JoinRefused(
                _(
                    "There is no user group ${group}.",
                    mapping={"group": form.get("group", "")},
                )
            )
        membership.withdraw(group, str(form.get("withdraw", "")))
        return _(
            "Your request to join ${group} is withdrawn.",
            mapping={"group": group.Title()},
        )

    def acquisition_requests(self) -> list[dict]:
        """The acquisition requests the member made, newest first."""
        catalog = api.portal.get_tool("portal_catalog")
        workflow = api.portal.get_tool("portal_workflow")
        rows = []
        for brain in catalog(
            portal_type="AcquisitionRequest",
            Creator=self.userid(),
            sort_on="created",
            sort_order="descending",
        ):
            state = workflow.getTitleForStateOnType(
                brain.review_state, "AcquisitionRequest"
            )
            group = find_user_group(brain.user_group)
            rows.append(
                {
                    "title": brain.Title,
                    "url": brain.getURL(),
                    "state": brain.review_state,
                    "state_title": self.translated(_(state)),
                    "group": group.Title() if group is not None else brain.user_group,
                    "created": brain.created.strftime("%Y-%m-%d"),
                }
            )
        return rows

    def join_requests(self) -> list[dict]:
        """The member's join requests to every group, newest first."""
        userid = self.userid()
        mine = [
            (request.created, group, request)
            for group in membership.user_groups()
            for request in membership.requests_of(group, userid)
        ]
        mine.sort(key=lambda found: found[0], reverse=True)
        return [self.request_row(group, request) for _created, group, request in mine]

    def memberships(self) -> list[dict]:
        """The groups the member is in, with their ends."""
        userid = self.userid()
        rows = []
        for group in membership.user_groups():
            if userid not in group.member_ids():
                continue
            visible = api.user.has_permission("View", obj=group)
            rows.append(
                {
                    "title": group.Title(),
                    "url": group.absolute_url() if visible else None,
                    "group_state": None if group.is_active() else self.state_of(group),
                    **standing(group, userid),
                }
            )
        return rows

    def state_of(self, group: UserGroup) -> str:
        """A user group's workflow state, as its members read it."""
        state = api.content.get_state(obj=group, default="")
        if state == "approved":  # yet past its approval's end
            state = "expired"
        workflow = api.portal.get_tool("portal_workflow")
        title = workflow.getTitleForStateOnType(state, "UserGroup")
        return self.translated(_(title))

    def manages(self) -> int:
        """How many requests await the member's decision, as a leader or STEREO."""
        return sum(
            len(membership.pending(group))
            for group in membership.user_groups()
            if membership.may_manage(group)
        )


class ManagesGroupsView(BrowserView):
    """``@@manages-user-groups``: whether the user decides on join requests."""

    def __call__(self) -> bool:
        if api.user.is_anonymous():
            return False
        if api.user.has_permission(membership.MANAGE_PERMISSION, obj=self.context):
            return True  # STEREO management and administrators: every group
        # Asked on every page: only the groups the user leads need a check.
        userid = api.user.get_current().getId()
        return any(
            userid in (group.leaders or ()) and membership.may_manage(group)
            for group in membership.user_groups()
        )


class JoinViewlet(ViewletBase):
    """On a UserGroup's page (members only): ask to join it, or what one is to it."""

    def standing(self) -> dict:
        return standing(self.context, api.user.get_current().getId())

    def pending_count(self) -> int | None:
        """For its leaders and STEREO: how many requests await a decision."""
        if not membership.may_manage(self.context):
            return None
        return len(membership.pending(self.context))

    def join_url(self) -> str:
        return f"{self.site_url}/@@join-group"
