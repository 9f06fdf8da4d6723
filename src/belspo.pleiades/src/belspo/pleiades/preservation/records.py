"""The backup reports kept in the primary portal, and the e-mail of a failure.

Each run of ``pleiades-backup`` ends with ``record_run``: its report (see the
contract in this package's docstring) is stored in the portal's annotations,
where the ``@@preservation`` dashboard reads it, and a failed run is sent to
the operators (the members of the ``pleiades-operators`` group) by e-mail.

The messages go through notifications/mail.py's ``deliver``: they leave only
when the transaction that records the run commits, and a mail server that is
down is logged, never fatal to the recording.
"""

from belspo.pleiades import _
from belspo.pleiades import logger
from belspo.pleiades.notifications.mail import deliver
from belspo.pleiades.notifications.mail import OPERATORS
from belspo.pleiades.notifications.mail import PORTAL_GROUPS
from belspo.pleiades.notifications.mail import sender_address
from belspo.pleiades.notifications.mail import site_name
from belspo.pleiades.notifications.mail import supported
from BTrees.OOBTree import OOBTree
from datetime import datetime
from datetime import UTC
from email.headerregistry import Address
from email.message import EmailMessage
from pathlib import Path
from plone import api
from ZODB.POSException import ConflictError
from zope.annotation.interfaces import IAnnotations
from zope.i18n import translate

import email.policy
import json
import transaction


RUNS_KEY = "belspo.pleiades.preservation"

# A mail lists this many problems; the dashboard and the report have them all.
MAIL_PROBLEMS = 50

# Testing.makerequest's host: a portal opened from the command line has no URL.
PLACEHOLDER_HOST = "://nohost"


def _runs(portal, create: bool = False) -> OOBTree | None:
    """The reports by ``run_id``; None when none was ever stored and not ``create``."""
    annotations = IAnnotations(portal)
    runs = annotations.get(RUNS_KEY)
    if runs is None and create:
        runs = annotations[RUNS_KEY] = OOBTree()
    return runs


def plain(report: dict) -> dict:
    """A copy of ``report`` of JSON types only: nothing persistent, nothing shared."""
    return json.loads(json.dumps(report, default=str))


def add_report(portal, report: dict) -> None:
    """Keep a copy of a backup run's ``report`` in ``portal``, under its ``run_id``.

    A report with the ``run_id`` of one already kept replaces it.

    :raises ValueError: if the report has no ``run_id``.
    """
    run_id = str(report.get("run_id") or "").strip()
    if not run_id:
        raise ValueError("a backup report needs a run_id")
    _runs(portal, create=True)[run_id] = plain(report)


def reports(portal, limit: int | None = None) -> list[dict]:
    """The kept reports, the newest first; at most ``limit`` of them."""
    runs = _runs(portal)
    if not runs:
        return []
    values = runs.values()
    if limit is not None:
        values = values[-limit:] if limit > 0 else []
    return list(values)[::-1]


def last_success(portal) -> dict | None:
    """The newest report of a run that went well, or None."""
    runs = _runs(portal)
    if not runs:
        return None
    for report in reversed(runs.values()):
        if report.get("status") == "ok":
            return report
    return None


def moment(value) -> datetime | None:
    """An ISO 8601 time of a report as an aware datetime (UTC if it has no offset)."""
    try:
        when = datetime.fromisoformat(str(value))
    except (TypeError, ValueError):
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def problem_line(problem) -> str:
    """One problem of a report, on one line: its kind, detail, path or oid."""
    if not isinstance(problem, dict):
        return str(problem)
    line = f"{problem.get('kind') or '?'}: {problem.get('detail') or ''}".rstrip(": ")
    where = problem.get("path") or (
        f"oid {problem['oid']}" if problem.get("oid") else ""
    )
    return f"{line} ({where})" if where else line


def operators() -> list[tuple[str, str]]:
    """The (name, address) of each operator with an e-mail address, once each."""
    group = api.group.get(groupname=PORTAL_GROUPS[OPERATORS])
    if group is None:
        logger.warning("no group %s to tell of a backup", PORTAL_GROUPS[OPERATORS])
        return []
    found, seen = [], set()
    for userid in sorted(group.getGroupMemberIds()):
        member = api.user.get(userid=userid)
        email = (member.getProperty("email", "") or "").strip() if member else ""
        if not email:
            logger.warning("operator %s has no e-mail address: not told", userid)
            continue
        if email.lower() in seen:
            continue
        seen.add(email.lower())
        found.append((member.getProperty("fullname", "") or "", email))
    return found


def dashboard_url(portal, portal_url: str | None = None) -> str:
    """The dashboard's address, or "" when the portal's own is not known."""
    base = (portal_url or portal.absolute_url()).rstrip("/")
    return "" if PLACEHOLDER_HOST in base else f"{base}/@@preservation"


def failure_text(report: dict, language: str, site: str, url: str) -> tuple[str, str]:
    """The subject and the body of the e-mail of a failed run, in ``language``."""

    def tr(message) -> str:
        return translate(message, target_language=language)

    problems = list(report.get("problems") or [])
    facts = {
        "site": site,
        "started": report.get("started") or report.get("run_id") or "",
        "count": len(problems),
    }
    subject = tr(
        _(
            "mail_subject_backup_failed",
            default="Backup failed on ${site}: ${count} problem(s)",
            mapping=facts,
        )
    )
    lines = [
        tr(
            _(
                "mail_intro_backup_failed",
                default="The backup run started at ${started} failed. The backup "
                "may not be a faithful copy of the primary until a run succeeds.",
                mapping=facts,
            )
        ),
        "",
    ]
    if report.get("primary"):
        lines.append(
            tr(
                _(
                    "mail_backup_primary",
                    default="Primary: ${primary}",
                    mapping={"primary": report["primary"]},
                )
            )
        )
    if report.get("backup"):
        lines.append(
            tr(
                _(
                    "mail_backup_backup",
                    default="Backup: ${backup}",
                    mapping={"backup": report["backup"]},
                )
            )
        )
    lines += [
        "",
        tr(_("mail_backup_problems", default="Problems:")),
        *(f"- {problem_line(problem)}" for problem in problems[:MAIL_PROBLEMS]),
    ]
    if not problems:
        lines.append(
            tr(
                _(
                    "mail_backup_no_problem_listed",
                    default="- none listed: see the run's log.",
                )
            )
        )
    if len(problems) > MAIL_PROBLEMS:
        lines.append(
            tr(
                _(
                    "mail_backup_more_problems",
                    default="… and ${more} more, listed in the report.",
                    mapping={"more": len(problems) - MAIL_PROBLEMS},
                )
            )
        )
    if url:
        lines += [
            "",
            tr(
                _(
                    "mail_backup_link",
                    default="See the preservation dashboard: ${url}",
                    mapping={"url": url},
                )
            ),
        ]
    lines += ["", "-- ", site]
    return subject, "\n".join(lines) + "\n"


def notify_failure(portal, report: dict, portal_url: str | None = None) -> list[str]:
    """E-mail the operators about a failed run, if it failed, once it commits.

    Never raises (but for a conflict): a problem is logged and nobody is told.

    :param portal_url: the portal's public address, for the dashboard's link
        (default the portal's own, unknown from the command line).
    :returns: the addresses written to.
    """
    if report.get("status") == "ok":
        return []
    try:
        sender = sender_address()
        if sender is None:
            logger.error(
                "no sender address (plone.email_from_address) configured: the "
                "operators are not told that backup run %s failed",
                report.get("run_id"),
            )
            return []
        language = api.portal.get_default_language() or "en"
        language = supported(language) or language
        site = site_name()
        subject, body = failure_text(
            report, language, site, dashboard_url(portal, portal_url)
        )
        messages = []
        for name, address in operators():
            # CRLF line ends: MailHost sends the bytes as the policy writes them,
            # and SMTP servers refuse bare LFs (or a body as one overlong line).
            message = EmailMessage(policy=email.policy.SMTP)
            message["Subject"] = subject
            message["From"] = sender
            message["To"] = Address(display_name=name, addr_spec=address)
            message["Auto-Submitted"] = "auto-generated"  # RFC 3834
            message.set_content(body, charset="utf-8", cte="quoted-printable")
            message["Content-Language"] = language  # after set_content
            messages.append(message)
    except ConflictError:
        raise
    except Exception:
        logger.exception(
            "the operators are not told that backup run %s failed",
            report.get("run_id"),
        )
        return []
    if not messages:
        logger.error(
            "no operator to tell that backup run %s failed", report.get("run_id")
        )
        return []
    deliver(messages)
    return [str(message["To"].addresses[0].addr_spec) for message in messages]


def record_run(
    zope_ini: Path,
    report: dict,
    site_id: str = "Plone",
    admin: str = "admin",
    portal_url: str | None = None,
) -> None:
    """Keep a run's report in the primary portal and tell the operators of a failure.

    For a process where Zope is not loaded yet (``pleiades-backup``): loads Zope
    on the primary's ``zope.ini``, opens the site as the Zope manager (the
    instance's, created with the instance's password if missing), commits.

    :param zope_ini: the primary instance's ``etc/zope.ini``.
    :param admin: the Zope manager to act as.
    :param portal_url: the portal's public address, for the e-mail's link.
    :raises: whatever kept the report from being recorded, after logging it.
    """
    from belspo.pleiades.cli.run import admin_password
    from belspo.pleiades.cli.run import load_zope

    try:
        load_zope(Path(zope_ini))
        from belspo.pleiades.cli.site import open_portal

        password = admin_password(Path(zope_ini).resolve().parent.parent)
        with open_portal(site_id, admin, password) as portal:
            add_report(portal, report)
            notify_failure(portal, report, portal_url)
            transaction.commit()
    except Exception:
        logger.exception(
            "backup run %s (%s) not recorded in the portal %r of %s",
            report.get("run_id"),
            report.get("status"),
            site_id,
            zope_ini,
        )
        raise
