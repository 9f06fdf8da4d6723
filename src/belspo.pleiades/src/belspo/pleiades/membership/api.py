"""Join requests and memberships' end dates: the Python API of the membership.

A member asks to join a UserGroup (``ask``); a leader of the group or STEREO
management approves or refuses (``decide``), approval adding the member to the
group's PAS group, for good or until an end date. Each UserGroup keeps, in an
annotation, a ``Register``:

- ``requests``: every join request by its id (random hex), kept after the
  decision as the group's history;
- ``open``: the id of each member's pending request, by user id. A member has
  at most one, and two requests of one member sent at once write the same key:
  the ZODB refuses the second commit, Zope retries it and it finds the first;
- ``ends``: the last day of the memberships that have one, by user id.

Requests of different members write different keys of these BTrees, which the
ZODB merges; a decision writes the request itself and one key of ``open``.

A membership's end is decided when access is checked, as a group's approval
end is: ``membership/plugin.py`` leaves an expired membership out of the
member's groups, so that the group's roles no longer reach the member.
"""

from AccessControl import Unauthorized
from belspo.pleiades import _
from belspo.pleiades.content.roles import find_user_group
from belspo.pleiades.content.user_group import UserGroup
from BTrees.OOBTree import OOBTree
from datetime import date
from datetime import datetime
from datetime import UTC
from persistent import Persistent
from plone import api
from zope.annotation.interfaces import IAnnotations
from zope.event import notify
from zope.i18n import translate
from zope.i18nmessageid import Message
from zope.interface import Attribute
from zope.interface import implementer
from zope.interface import Interface

import secrets


KEY = "belspo.pleiades.membership"
MANAGE_PERMISSION = "belspo.pleiades: Manage group membership"
MESSAGE_LIMIT = 2000

PENDING = "pending"
APPROVED = "approved"
REFUSED = "refused"
WITHDRAWN = "withdrawn"
STATE_TITLES = {
    PENDING: _("Awaiting a decision"),
    APPROVED: _("Approved"),
    REFUSED: _("Refused"),
    WITHDRAWN: _("Withdrawn"),
}


class JoinRefused(ValueError):
    """A join request or a decision that cannot be made; says why to the user."""

    def __init__(self, message: Message):
        super().__init__(translate(message))  # in English, for logs
        self.message = message


class JoinRequest(Persistent):
    """One member's request to join one user group, and its decision."""

    def __init__(self, group_id: str, userid: str, message: str):
        self.id = secrets.token_hex(16)
        self.group_id = group_id
        self.userid = userid
        self.message = message
        self.created = datetime.now(UTC)
        self.state = PENDING
        self.decided = None
        self.decided_by = None
        self.reason = ""
        self.until = None


class Register(Persistent):
    """A user group's join requests and memberships' ends."""

    def __init__(self):
        self.requests = OOBTree()
        self.open = OOBTree()
        self.ends = OOBTree()


class IJoinRequestEvent(Interface):
    """Something happened to a join request."""

    group = Attribute("The UserGroup")
    request = Attribute("The JoinRequest")


class IJoinRequestedEvent(IJoinRequestEvent):
    """A member asked to join a group."""


class IJoinDecidedEvent(IJoinRequestEvent):
    """A join request was approved or refused."""


@implementer(IJoinRequestEvent)
class _JoinRequestEvent:
    def __init__(self, group: UserGroup, request: JoinRequest):
        self.group = group
        self.request = request


@implementer(IJoinRequestedEvent)
class JoinRequested(_JoinRequestEvent):
    """A member asked to join a group."""


@implementer(IJoinDecidedEvent)
class JoinDecided(_JoinRequestEvent):
    """A join request was approved or refused."""


def register_of(group: UserGroup, create: bool = False) -> Register | None:
    """The group's register; None if it has none and ``create`` is false."""
    annotations = IAnnotations(group)
    register = annotations.get(KEY)
    if register is None and create:
        register = annotations[KEY] = Register()
    return register


def open_register(group: UserGroup, event=None) -> None:
    """Give a group its register now: two first requests would both create it."""
    register_of(group, create=True)


def today() -> date:
    return date.today()


def membership_end(group: UserGroup, userid: str) -> date | None:
    """The last day of ``userid``'s membership of ``group``, if it has one."""
    register = register_of(group)
    return register.ends.get(userid) if register is not None else None


def is_expired(group: UserGroup, userid: str, on: date | None = None) -> bool:
    """Whether ``userid``'s membership of ``group`` has passed its end."""
    end = membership_end(group, userid)
    return end is not None and end < (on or today())


def is_member(group: UserGroup, userid: str, on: date | None = None) -> bool:
    """Whether ``userid`` is in the group and the membership has not ended."""
    return userid in group.member_ids() and not is_expired(group, userid, on)


def may_manage(group: UserGroup) -> bool:
    """Whether the current user decides on the group's join requests."""
    return api.user.has_permission(MANAGE_PERMISSION, obj=group)


def pending(group: UserGroup) -> list[JoinRequest]:
    """The group's requests awaiting a decision, oldest first."""
    register = register_of(group)
    if register is None:
        return []
    found = [register.requests[request_id] for request_id in register.open.values()]
    return sorted(found, key=lambda request: request.created)


def history(group: UserGroup) -> list[JoinRequest]:
    """Every request the group has had, newest first."""
    register = register_of(group)
    if register is None:
        return []
    return sorted(register.requests.values(), key=lambda r: r.created, reverse=True)


def requests_of(group: UserGroup, userid: str) -> list[JoinRequest]:
    """The requests ``userid`` made to ``group``, newest first."""
    return [request for request in history(group) if request.userid == userid]


def get_request(group: UserGroup, request_id: str) -> JoinRequest:
    """The group's request with this id.

    :raises JoinRefused: if the group has no such request.
    """
    register = register_of(group)
    found = register.requests.get(request_id) if register is not None else None
    if found is None:
        raise JoinRefused(_("There is no such request to join ${group}.", **_of(group)))
    return found


def user_groups() -> list[UserGroup]:
    """Every UserGroup of the portal, by title."""
    folder = api.portal.get()._getOb("groups", None)
    if folder is None:
        return []
    groups = [find_user_group(group_id) for group_id in folder.objectIds()]
    return sorted((g for g in groups if g is not None), key=lambda g: g.Title())


def _of(group: UserGroup) -> dict:
    return {"mapping": {"group": group.Title()}}


def check_joinable(group: UserGroup) -> None:
    """Refuse a request to join a group that takes no members now.

    :raises JoinRefused: the group is pending, suspended or past its approval.
    """
    state = api.content.get_state(obj=group, default=None)
    if state == "approved" and group.is_active(today()):
        return
    if state == "suspended":
        message = _(
            "${group} is suspended: it takes no new members until STEREO "
            "management approves it again.",
            **_of(group),
        )
    elif state == "pending":
        message = _(
            "${group} is not approved by STEREO management yet: it takes no "
            "members so far.",
            **_of(group),
        )
    else:
        message = _(
            "The approval of ${group} has ended: it takes no new members until "
            "STEREO management renews it.",
            **_of(group),
        )
    raise JoinRefused(message)


def ask(group: UserGroup, message: str = "") -> JoinRequest:
    """The current user asks to join ``group``, with an optional message.

    :raises Unauthorized: for anonymous visitors.
    :raises JoinRefused: the group takes no members, the user is a member or
        has asked already, or the message is too long.
    """
    if api.user.is_anonymous():
        raise Unauthorized("Log in to ask to join a user group.")
    userid = api.user.get_current().getId()
    message = (message or "").strip()
    if len(message) > MESSAGE_LIMIT:
        raise JoinRefused(
            _(
                "Your message is too long: at most ${limit} characters.",
                mapping={"limit": MESSAGE_LIMIT},
            )
        )
    check_joinable(group)
    if is_member(group, userid):
        raise JoinRefused(_("You are already a member of ${group}.", **_of(group)))
    register = register_of(group, create=True)
    if userid in register.open:
        raise JoinRefused(
            _(
                "You have already asked to join ${group}: its leaders have not "
                "decided yet.",
                **_of(group),
            )
        )
    request = JoinRequest(group.getId(), userid, message)
    register.requests[request.id] = request
    register.open[userid] = request.id
    notify(JoinRequested(group, request))
    return request


def parse_until(text: str | None) -> date | None:
    """A membership's end as typed (YYYY-MM-DD), or None if empty.

    :raises JoinRefused: not a date, or a date already past.
    """
    text = (text or "").strip()
    if not text:
        return None
    try:
        until = date.fromisoformat(text)
    except ValueError:
        raise JoinRefused(
            _(
                "${value} is not a date: write it as YYYY-MM-DD.",
                mapping={"value": text},
            )
        ) from None
    if until < today():
        raise JoinRefused(_("The membership's end must be today or later."))
    return until


def decide(
    group: UserGroup,
    request_id: str,
    approve: bool,
    reason: str = "",
    until: date | None = None,
) -> JoinRequest:
    """Approve or refuse a pending join request, as the current user.

    Approval makes the requester a member of the group, until ``until`` if
    given (the last day of access). A refusal needs a reason, which the
    requester is told.

    :raises Unauthorized: the current user does not manage the group's members.
    :raises JoinRefused: no such pending request, one's own request, a refusal
        without a reason, an end date already past.
    """
    if not may_manage(group):
        raise Unauthorized("You do not manage the members of this group.")
    request = get_request(group, request_id)
    if request.state != PENDING:
        raise JoinRefused(_("This request has been decided already."))
    actor = api.user.get_current().getId()
    if request.userid == actor:
        raise JoinRefused(_("Someone else must decide on your own request."))
    reason = (reason or "").strip()
    if until is not None and until < today():
        raise JoinRefused(_("The membership's end must be today or later."))
    if approve:
        if api.user.get(userid=request.userid) is None:
            raise JoinRefused(
                _(
                    "The user ${user} no longer exists: refuse the request.",
                    mapping={"user": request.userid},
                )
            )
        group.add_member(request.userid)
        set_membership_end(group, request.userid, until)
    elif not reason:
        raise JoinRefused(_("Give the reason for the refusal: the member is told."))
    request.state = APPROVED if approve else REFUSED
    request.reason = reason
    request.until = until if approve else None
    request.decided = datetime.now(UTC)
    request.decided_by = actor
    del register_of(group).open[request.userid]
    notify(JoinDecided(group, request))
    return request


def withdraw(group: UserGroup, request_id: str) -> JoinRequest:
    """The current user takes back their pending request.

    :raises JoinRefused: no such pending request of theirs.
    """
    request = get_request(group, request_id)
    if request.userid != api.user.get_current().getId():
        raise JoinRefused(_("There is no such request to join ${group}.", **_of(group)))
    if request.state != PENDING:
        raise JoinRefused(_("This request has been decided already."))
    request.state = WITHDRAWN
    request.decided = datetime.now(UTC)
    request.decided_by = request.userid
    del register_of(group).open[request.userid]
    return request


def change_membership_end(group: UserGroup, userid: str, until: date | None) -> None:
    """As a manager of the group: let a member's membership end after ``until``.

    :raises Unauthorized: the current user does not manage the group's members.
    :raises JoinRefused: ``userid`` is not in the group, or ``until`` is past.
    """
    if not may_manage(group):
        raise Unauthorized("You do not manage the members of this group.")
    if userid not in group.member_ids():
        raise JoinRefused(
            _(
                "${user} is not a member of ${group}.",
                mapping={"user": userid, "group": group.Title()},
            )
        )
    if until is not None and until < today():
        raise JoinRefused(_("The membership's end must be today or later."))
    set_membership_end(group, userid, until)


def set_membership_end(group: UserGroup, userid: str, until: date | None) -> None:
    """Let ``userid``'s membership end after ``until``, or never if None."""
    register = register_of(group, create=until is not None)
    if until is not None:
        register.ends[userid] = until
    elif register is not None and userid in register.ends:
        del register.ends[userid]
