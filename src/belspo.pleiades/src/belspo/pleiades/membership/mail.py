"""E-mail about join requests: leaders hear of a request, the member of the decision.

| event | who is told |
|---|---|
| a member asks to join | the leaders; STEREO management if no leader has an address |
| approved | the member, with the membership's end if it has one |
| refused | the member, with the reason |

Messages go the way the requests' notifications go (``notifications/mail.py``):
in each recipient's language, only if the transaction commits, and a mail
server that is down never undoes the request or the decision.
"""

from belspo.pleiades import _
from belspo.pleiades import logger
from belspo.pleiades import PACKAGE_NAME
from belspo.pleiades.membership.api import APPROVED
from belspo.pleiades.membership.api import IJoinDecidedEvent
from belspo.pleiades.membership.api import IJoinRequestedEvent
from belspo.pleiades.membership.api import JoinRequest
from belspo.pleiades.notifications.mail import deliver
from belspo.pleiades.notifications.mail import Recipient
from belspo.pleiades.notifications.mail import sender_address
from belspo.pleiades.notifications.mail import site_name
from belspo.pleiades.notifications.mail import supported
from email.headerregistry import Address
from email.message import EmailMessage
from plone import api
from ZODB.POSException import ConflictError
from zope.component import adapter
from zope.i18n import translate
from zope.i18nmessageid import Message

import email.policy


LEADERS = "leaders"
STEREO = "stereo"
MEMBER = "member"
# STEREO management (setuphandlers.GROUPS): told when a group has no leader to tell.
STEREO_GROUP = "stereo-managers"


@adapter(IJoinRequestedEvent)
def request_made(event) -> None:
    """Tell the group's leaders that a member asks to join."""
    group, request = event.group, event.request
    _send(lambda: _to_leaders(group, request), f"join request of {request.userid}")


@adapter(IJoinDecidedEvent)
def request_decided(event) -> None:
    """Tell the member whether their request was approved, and why not."""
    group, request = event.group, event.request
    _send(lambda: _to_member(group, request), f"decision on {request.userid}'s request")


def _send(compose_all, what: str) -> None:
    """Deliver the messages ``compose_all`` makes; log any problem, never raise."""
    try:
        messages = compose_all()
    except ConflictError:
        raise  # Zope retries the whole request
    except Exception:
        logger.exception("nobody told of the %s", what)
        return
    if messages:
        deliver(messages)


def recipient(userid: str, audience: str, default_language: str) -> Recipient | None:
    """A user to write to, in their language; None without an address."""
    member = api.user.get(userid=userid)
    email = (member.getProperty("email", "") or "").strip() if member else ""
    if not email:
        logger.warning("%s has no e-mail address: not told of a join request", userid)
        return None
    return Recipient(
        userid=userid,
        name=member.getProperty("fullname", "") or "",
        email=email,
        language=supported(member.getProperty("language", "")) or default_language,
        audience=audience,
    )


def default_language() -> str:
    portal_language = api.portal.get_default_language() or "en"
    return supported(portal_language) or portal_language


def _to_leaders(group, request: JoinRequest) -> list[EmailMessage]:
    language = default_language()
    found = [recipient(userid, LEADERS, language) for userid in group.leaders or ()]
    found = [r for r in found if r is not None and r.userid != request.userid]
    if not found:
        stereo = api.group.get(groupname=STEREO_GROUP)
        userids = sorted(stereo.getGroupMemberIds()) if stereo is not None else []
        found = [recipient(userid, STEREO, language) for userid in userids]
        found = [r for r in found if r is not None and r.userid != request.userid]
    asker = api.user.get(userid=request.userid)
    facts = {
        "group": group.Title(),
        "name": (asker.getProperty("fullname", "") if asker else "") or request.userid,
        "user": request.userid,
        "email": (asker.getProperty("email", "") if asker else "") or "-",
    }
    lines = [
        Message(
            _(
                "mail_join_intro",
                default="${name} (user ${user}, ${email}) asks to join the user "
                "group ${group}.",
            ),
            mapping=facts,
        )
    ]
    if request.message:
        lines += [
            "",
            _(
                "mail_join_message",
                default="Their message: ${message}",
                mapping={"message": request.message},
            ),
        ]
    lines += [
        "",
        _(
            "mail_join_decide_link",
            default="Approve or refuse the request: ${url}",
            mapping={"url": f"{group.absolute_url()}/@@join-requests"},
        ),
    ]
    subject = Message(
        _("mail_join_subject", default="Request to join ${group}: ${name}"),
        mapping=facts,
    )
    return _compose_each(found, subject, lines)


def _to_member(group, request: JoinRequest) -> list[EmailMessage]:
    found = recipient(request.userid, MEMBER, default_language())
    if found is None:
        return []
    facts = {"group": group.Title()}
    portal_url = api.portal.get().absolute_url()
    if request.state == APPROVED:
        subject = _("mail_join_approved_subject", default="Welcome to ${group}")
        lines = [
            _(
                "mail_join_approved",
                default="Your request to join the user group ${group} has been "
                "approved: you may download the portal's products while the "
                "group is approved.",
                mapping=facts,
            )
        ]
        if request.until is not None:
            lines.append(
                _(
                    "mail_join_until",
                    default="Your membership ends on ${date}.",
                    mapping={"date": request.until.isoformat()},
                )
            )
    else:
        subject = _(
            "mail_join_refused_subject", default="Request to join ${group} refused"
        )
        lines = [
            _(
                "mail_join_refused",
                default="Your request to join the user group ${group} has been "
                "refused.",
                mapping=facts,
            ),
            _(
                "mail_reason",
                default="Reason: ${reason}",
                mapping={"reason": request.reason},
            ),
        ]
    lines += [
        "",
        _(
            "mail_join_mine_link",
            default="Your requests: ${url}",
            mapping={"url": f"{portal_url}/@@my-requests"},
        ),
    ]
    return _compose_each([found], Message(subject, mapping=facts), lines)


def _compose_each(
    recipients: list[Recipient], subject: Message, lines: list
) -> list[EmailMessage]:
    sender = sender_address()
    if sender is None:
        logger.warning(
            "no sender address (plone.email_from_address) configured: nobody told "
            "of a join request"
        )
        return []
    site = site_name()
    messages, seen = [], set()
    for person in recipients:
        if person.email.lower() in seen:
            continue
        seen.add(person.email.lower())
        try:
            messages.append(compose(person, sender, site, subject, lines))
        except ConflictError:
            raise
        except Exception:  # an address the e-mail package refuses, say
            logger.exception("could not write to %s of a join request", person.email)
    return messages


def compose(
    person: Recipient, sender: Address, site: str, subject: Message, lines: list
) -> EmailMessage:
    """One message, in ``person``'s language, as the requests' notifications are."""
    language = person.language

    def tr(text) -> str:
        return translate(text, target_language=language) if text else ""

    body = [
        *(tr(line) for line in lines),
        "",
        "-- ",
        translate(site, domain=PACKAGE_NAME, target_language=language, default=site)
        if site
        else "",
    ]
    message = EmailMessage(policy=email.policy.SMTP)
    message["Subject"] = tr(subject)
    message["From"] = sender
    message["To"] = Address(display_name=person.name, addr_spec=person.email)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content("\n".join(body) + "\n", charset="utf-8", cte="quoted-printable")
    message["Content-Language"] = language
    return message
