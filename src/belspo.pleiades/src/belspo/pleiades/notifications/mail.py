"""E-mail to the people concerned by each transition of an acquisition request.

Who is told what:

| transition | requester, group leaders | validators | operators |
|---|---|---|---|
| submit | acknowledgement | a new request to decide on | - |
| retract | - | no longer to decide on | - |
| validate | pricing category and price | - | to forward to the distributor |
| reject | the reason | - | - |
| program | the distributor's reference | - | - |
| acquire | the number of products delivered | - | - |
| fail | the reason | the reason (the attempts are freed) | - |
| cancel | the reason, if given | if it was submitted or validated | if validated |

The requester is the request's creator, the leaders are its UserGroup's, the
validators and operators the members of the ``pleiades-validators`` and
``pleiades-operators`` groups. The user who fired the transition gets no copy
of their own action. Each person gets one message, the first that concerns
them in the order above (a leader who also validates gets the request to
decide on); users without an e-mail address are skipped, and an address is
written to once.

Each message is in its recipient's language: their ``language`` property when
it is English, French or Dutch, else the portal's default language.

Messages leave only if the transaction commits, and a mail server that is down
never costs anyone their transition. Products.MailHost's direct delivery
(``send(immediate=False)`` without a queue) cannot promise the second:
zope.sendmail's ``SMTPMailer.vote`` connects to the server during the
transaction's vote, so an unreachable server aborts the commit and the state
change is lost (only errors in ``tpc_finish`` are logged). Hence:

- when the MailHost queues mail (its ``smtp_queue`` setting), messages go
  through ``send(immediate=False)``: written to the queue directory with the
  transaction, sent and retried by the queue's own thread;
- otherwise they are sent with ``send(immediate=True)`` from an after-commit
  hook, which runs only when the transaction has committed, and where any
  failure is logged.
"""

from belspo.pleiades import _
from belspo.pleiades import logger
from belspo.pleiades import PACKAGE_NAME
from belspo.pleiades.content.roles import find_user_group
from belspo.pleiades.quota.service import category_title
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from email.headerregistry import Address
from email.message import EmailMessage
from plone import api
from ZODB.POSException import ConflictError
from zope.i18n import translate
from zope.i18nmessageid import Message

import email.policy
import smtplib
import socket
import transaction


LANGUAGES = ("en", "fr", "nl")

REQUESTER = "requester"
LEADERS = "leaders"
VALIDATORS = "validators"
OPERATORS = "operators"

# The portal groups of the agreement's actors (setuphandlers.GROUPS).
PORTAL_GROUPS = {VALIDATORS: "pleiades-validators", OPERATORS: "pleiades-operators"}

# Who is told of each transition, the most pressing message first.
AUDIENCES = {
    "submit": (VALIDATORS, REQUESTER, LEADERS),
    "retract": (VALIDATORS,),
    "validate": (OPERATORS, REQUESTER, LEADERS),
    "reject": (REQUESTER, LEADERS),
    "program": (REQUESTER, LEADERS),
    "acquire": (REQUESTER, LEADERS),
    "fail": (REQUESTER, LEADERS, VALIDATORS),
    "cancel": (REQUESTER, LEADERS),
}
# A cancelled request also concerns those who were to act on it.
CANCELLED_FROM = {
    "submitted": (VALIDATORS,),
    "validated": (OPERATORS, VALIDATORS),
}
# Transitions whose comment is the reason for the decision.
REASONED = {"reject", "fail", "cancel"}

# (transition, audience) -> subject; audience None for everyone else.
SUBJECTS = {
    ("submit", VALIDATORS): _(
        "mail_subject_submit_validators", default="New request to validate: ${title}"
    ),
    ("submit", None): _("mail_subject_submit", default="Request submitted: ${title}"),
    ("retract", None): _(
        "mail_subject_retract", default="Request taken back to draft: ${title}"
    ),
    ("validate", None): _(
        "mail_subject_validate", default="Request validated: ${title}"
    ),
    ("reject", None): _("mail_subject_reject", default="Request rejected: ${title}"),
    ("program", None): _(
        "mail_subject_program", default="Request programmed: ${title}"
    ),
    ("acquire", None): _("mail_subject_acquire", default="Request acquired: ${title}"),
    ("fail", None): _("mail_subject_fail", default="Acquisition failed: ${title}"),
    ("cancel", None): _("mail_subject_cancel", default="Request cancelled: ${title}"),
}
# (transition, audience) -> the message's first paragraph.
INTROS = {
    ("submit", VALIDATORS): _(
        "mail_intro_submit_validators",
        default="A new request of ${group}, “${title}”, awaits your decision.",
    ),
    ("submit", None): _(
        "mail_intro_submit",
        default="The request “${title}” of ${group} has been submitted to BELSPO "
        "for validation. You will be told of the decision by e-mail.",
    ),
    ("retract", None): _(
        "mail_intro_retract",
        default="The request “${title}” of ${group} has been taken back to draft: "
        "it no longer awaits your decision.",
    ),
    ("validate", OPERATORS): _(
        "mail_intro_validate_operators",
        default="BELSPO has validated the request “${title}” of ${group}. Please "
        "forward it to the distributor and record the distributor's reference.",
    ),
    ("validate", None): _(
        "mail_intro_validate",
        default="BELSPO has validated the request “${title}” of ${group}. B.USOC "
        "will now forward it to the distributor.",
    ),
    ("reject", None): _(
        "mail_intro_reject",
        default="BELSPO has rejected the request “${title}” of ${group}.",
    ),
    ("program", None): _(
        "mail_intro_program",
        default="B.USOC has forwarded the request “${title}” of ${group} to the "
        "distributor, who has programmed it.",
    ),
    ("acquire", None): _(
        "mail_intro_acquire",
        default="The request “${title}” of ${group} has been acquired: its "
        "products are in the archive.",
    ),
    ("fail", None): _(
        "mail_intro_fail",
        default="The distributor could not acquire the request “${title}” of ${group}.",
    ),
    ("cancel", None): _(
        "mail_intro_cancel",
        default="The request “${title}” of ${group} has been cancelled.",
    ),
}

# Connection failures: the server is down, no use trying the next message.
UNREACHABLE = (
    ConnectionError,
    TimeoutError,
    socket.gaierror,
    smtplib.SMTPConnectError,
    smtplib.SMTPServerDisconnected,
)


@dataclass(frozen=True)
class Recipient:
    """One person to write to, and why."""

    userid: str
    name: str
    email: str
    language: str
    audience: str


@dataclass
class Notice:
    """What every recipient is told of one transition, before translation."""

    transition: str
    title: str
    group: str
    url: str
    state: str
    details: list[Message] = field(default_factory=list)


def notify_transition(request, event) -> None:
    """Tell the people concerned of a request's transition, by e-mail.

    Never fails the transition: a problem is logged and nobody is told.
    """
    transition = event.transition.getId() if event.transition is not None else None
    if transition not in AUDIENCES:
        return
    try:
        messages = messages_for(request, event)
    except ConflictError:
        raise  # Zope retries the whole request
    except Exception:
        logger.exception(
            "nobody told of %s on %s", transition, "/".join(request.getPhysicalPath())
        )
        return
    if messages:
        deliver(messages)


def messages_for(request, event) -> list[EmailMessage]:
    """The messages of a transition, one per recipient, translated."""
    transition = event.transition.getId()
    path = "/".join(request.getPhysicalPath())
    sender = sender_address()
    if sender is None:
        logger.warning(
            "no sender address (plone.email_from_address) configured: nobody told "
            "of %s on %s",
            transition,
            path,
        )
        return []
    notice = describe(request, event)
    site = site_name()
    actor = api.user.get_current().getId()
    messages = []
    for recipient in recipients(request, transition, event.old_state.getId(), actor):
        try:
            messages.append(compose(notice, recipient, sender, site))
        except ConflictError:
            raise
        except Exception:  # an address the e-mail package refuses, say
            logger.exception("could not write to %s of %s", recipient.email, path)
    return messages


def sender_address() -> Address | None:
    """The portal's From address, or None if none is configured."""
    address = api.portal.get_registry_record("plone.email_from_address", default="")
    name = api.portal.get_registry_record("plone.email_from_name", default="")
    if not (address or "").strip():
        return None
    return Address(display_name=(name or "").strip(), addr_spec=address.strip())


def site_name() -> str:
    return (
        api.portal.get_registry_record("plone.site_title", default="")
        or api.portal.get().Title()
    )


def supported(language: str | None) -> str | None:
    """``language`` as one of LANGUAGES (``fr-be`` is ``fr``), or None."""
    code = (language or "").strip().lower().replace("_", "-").split("-")[0]
    return code if code in LANGUAGES else None


def people(request, audience: str) -> list[str]:
    """The user ids of an audience of ``request``."""
    if audience == REQUESTER:
        # Dexterity has no Creators(): Creator() is the first of listCreators().
        creator = request.Creator()
        return [creator] if creator else []
    if audience == LEADERS:
        group = find_user_group(getattr(request, "user_group", None))
        return list(group.leaders or ()) if group is not None else []
    group = api.group.get(groupname=PORTAL_GROUPS[audience])
    return sorted(group.getGroupMemberIds()) if group is not None else []


def recipients(
    request, transition: str, old_state: str, actor: str | None
) -> list[Recipient]:
    """Who to tell of ``transition``: one per person and per address, not the actor."""
    audiences = AUDIENCES[transition]
    if transition == "cancel":
        audiences += CANCELLED_FROM.get(old_state, ())
    portal_language = api.portal.get_default_language() or "en"
    default_language = supported(portal_language) or portal_language
    seen_users = {actor}
    seen_addresses = set()
    acting = api.user.get(userid=actor) if actor else None
    if acting is not None and (acting.getProperty("email", "") or "").strip():
        # Whoever shares the actor's mailbox has seen the action already.
        seen_addresses.add(acting.getProperty("email").strip().lower())
    found = []
    for audience in audiences:
        for userid in people(request, audience):
            if userid in seen_users:
                continue
            seen_users.add(userid)
            member = api.user.get(userid=userid)
            if member is None:
                logger.warning("no user %s to tell of %s", userid, transition)
                continue
            email = (member.getProperty("email", "") or "").strip()
            if not email:
                logger.warning(
                    "%s has no e-mail address: not told of %s on %s",
                    userid,
                    transition,
                    request.getId(),
                )
                continue
            if email.lower() in seen_addresses:
                continue
            seen_addresses.add(email.lower())
            language = member.getProperty("language", "")
            found.append(
                Recipient(
                    userid=userid,
                    name=member.getProperty("fullname", "") or "",
                    email=email,
                    language=supported(language) or default_language,
                    audience=audience,
                )
            )
    return found


def describe(request, event) -> Notice:
    """The facts of the transition every recipient is told."""
    transition = event.transition.getId()
    group = find_user_group(getattr(request, "user_group", None))
    notice = Notice(
        transition=transition,
        title=request.Title(),
        group=group.Title() if group is not None else request.user_group or "",
        url=request.absolute_url(),
        state=event.new_state.title or event.new_state.getId(),
    )
    comment = ((event.kwargs or {}).get("comment") or "").strip()
    if comment and transition in REASONED:
        notice.details.append(
            _("mail_reason", default="Reason: ${reason}", mapping={"reason": comment})
        )
    elif comment:
        notice.details.append(
            _(
                "mail_comment",
                default="Comment: ${comment}",
                mapping={"comment": comment},
            )
        )
    if transition == "validate":
        pricing = pricing_line(getattr(request, "quota_decision", None))
        if pricing is not None:
            notice.details.append(pricing)
    if transition == "program" and (request.distributor_reference or "").strip():
        notice.details.append(
            _(
                "mail_distributor_reference",
                default="Distributor's reference: ${reference}",
                mapping={"reference": request.distributor_reference.strip()},
            )
        )
    if transition == "acquire":
        products = api.relation.get(
            target=request, relationship="request", unrestricted=True
        )
        notice.details.append(
            _(
                "mail_products",
                default="Products delivered: ${count}",
                mapping={"count": len(products)},
            )
        )
    return notice


def pricing_line(decision) -> Message | None:
    """The pricing recorded by the validation, if the request carries one."""
    if not isinstance(decision, Mapping) or not decision.get("category"):
        return None
    if decision.get("within_quota"):
        return _(
            "mail_pricing_within",
            default="Pricing: within the agreement's quotas, at no charge.",
        )
    price = decision.get("price")
    return _(
        "mail_pricing",
        default="Pricing: ${category}, ${price} ${currency}.",
        mapping={
            "category": category_title(decision["category"]),
            "price": f"{price:.2f}" if isinstance(price, int | float) else price or "",
            "currency": decision.get("currency") or "",
        },
    )


def compose(
    notice: Notice, recipient: Recipient, sender: Address, site: str
) -> EmailMessage:
    """The message to one recipient, in their language."""
    language = recipient.language

    def tr(message) -> str:
        return translate(message, target_language=language)

    def pick(table: dict) -> Message:
        key = (notice.transition, recipient.audience)
        return table[key] if key in table else table[notice.transition, None]

    facts = {"title": notice.title, "group": notice.group}
    state = tr(_(notice.state))
    lines = [
        tr(Message(pick(INTROS), mapping=facts)),
        "",
        tr(_("mail_state", default="State: ${state}", mapping={"state": state})),
        *(tr(detail) for detail in notice.details),
        "",
        tr(
            _(
                "mail_link",
                default="See the request: ${url}",
                mapping={"url": notice.url},
            )
        ),
        "",
        "-- ",
        # The distribution names the site with a message of our catalogue.
        translate(site, domain=PACKAGE_NAME, target_language=language, default=site)
        if site
        else "",
    ]
    message = EmailMessage(policy=email.policy.SMTP)  # CRLF line ends, as SMTP wants
    message["Subject"] = tr(Message(pick(SUBJECTS), mapping=facts))
    message["From"] = sender
    message["To"] = Address(display_name=recipient.name, addr_spec=recipient.email)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies
    message.set_content(
        "\n".join(lines) + "\n", charset="utf-8", cte="quoted-printable"
    )
    message["Content-Language"] = language  # after set_content, which clears it
    return message


def deliver(messages: list[EmailMessage]) -> None:
    """Send ``messages`` through the MailHost if the transaction commits."""
    mailhost = api.portal.get_tool("MailHost")
    if getattr(mailhost, "smtp_queue", False):
        # Written to the queue with the transaction; the queue's thread sends.
        for message in messages:
            try:
                mailhost.send(message, immediate=False)
            except Exception:
                logger.exception(
                    "could not queue %r for %s", message["Subject"], message["To"]
                )
        return
    # Plone's mailer takes the server from the registry, not from the MailHost.
    server = "{}:{}".format(
        api.portal.get_registry_record("plone.smtp_host", default=""),
        api.portal.get_registry_record("plone.smtp_port", default=""),
    )
    transaction.get().addAfterCommitHook(
        send_after_commit, args=(mailhost, messages, server)
    )


def send_after_commit(
    committed: bool, mailhost, messages: list[EmailMessage], server: str = ""
) -> None:
    """Send the messages of a committed transaction; log, never raise."""
    if not committed:
        return
    for index, message in enumerate(messages):
        try:
            mailhost.send(message, immediate=True)
        except UNREACHABLE:
            logger.exception(
                "mail server %s unreachable: %d notification(s) not sent",
                server,
                len(messages) - index,
            )
            return
        except Exception:
            logger.exception(
                "notification %r to %s not sent", message["Subject"], message["To"]
            )
        else:
            logger.info("notified %s: %s", message["To"], message["Subject"])
