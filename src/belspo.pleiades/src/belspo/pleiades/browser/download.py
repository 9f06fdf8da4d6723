"""Package downloads: streamed from the blob, resumable, recorded; their reports.

``<product>/@@download/package`` is plone.namedfile's view with the package
served here: the download permission is checked, the answer carries
``Content-Length``, a strong ``ETag`` (the package's SHA-256), ``Last-Modified``,
the file name, and honours ``Range`` / ``If-Range`` (one range; several are
answered with the whole file), ``If-None-Match`` and ``HEAD``. The body is a
``RangeFile`` on the committed blob file: waitress sends it from its
asynchronous loop (no worker thread held) and it never reads past the range.
When the server closes it, the download is appended to the download log
(``downloads/log.py``) with the bytes actually sent: nothing is written to the
ZODB. ``@@download/package.sha256`` is the ``sha256sum`` sidecar. Other fields
(quicklook, thumbnail) are plone.namedfile's as before.

``@@downloads-report`` (totals per user group and month) and
``@@downloads-report.csv`` (every record) are for the people who report on the
licence; ``@@my-downloads`` lists a member's own downloads.
"""

from AccessControl import getSecurityManager
from AccessControl import Unauthorized
from Acquisition import aq_base
from belspo.pleiades import _
from belspo.pleiades.browser import charts
from belspo.pleiades.browser.dashboard import group_titles
from belspo.pleiades.browser.dashboard import safe_cell
from belspo.pleiades.content.product import DOWNLOAD_PERMISSION
from belspo.pleiades.content.roles import find_user_group
from belspo.pleiades.content.user_group import GROUP_PREFIX
from belspo.pleiades.downloads import http
from belspo.pleiades.downloads.log import DownloadLog
from belspo.pleiades.downloads.log import now
from belspo.pleiades.downloads.report import summarise
from belspo.pleiades.downloads.report import Totals
from belspo.pleiades.downloads.stream import RangeFile
from belspo.pleiades.preservation.browser import size as human_size
from datetime import date
from datetime import datetime
from datetime import timedelta
from datetime import UTC
from pathlib import Path
from plone import api
from plone.namedfile.browser import DisplayFile
from plone.namedfile.browser import Download
from plone.uuid.interfaces import IUUID
from Products.Five import BrowserView
from zExceptions import NotFound
from ZODB.utils import u64
from zope.i18n import translate
from zope.security import checkPermission

import csv
import io
import json
import logging
import os
import tempfile


logger = logging.getLogger(__name__)

PACKAGE = "package"
SIDECAR = "package.sha256"
# Where the download log is, when not in the instance's var/downloads.
DIRECTORY_SETTING = "PLEIADES_DOWNLOADS_DIR"
# A member's own downloads: how far back, and how many are listed.
MINE_DAYS = 365
MINE_LISTED = 500


def download_log() -> DownloadLog:
    """The download log of this instance: ``PLEIADES_DOWNLOADS_DIR`` if set (a
    folder every Zope process shares; it must exist), else ``var/downloads``."""
    configured = os.environ.get(DIRECTORY_SETTING)
    if configured:
        return DownloadLog(Path(configured), create=False)
    from App.config import getConfiguration

    return DownloadLog(Path(getConfiguration().clienthome) / "downloads")


def active_user_groups(user) -> list[str]:
    """The ids of the approved, unexpired UserGroups ``user`` is a member of."""
    names = [
        group_id[len(GROUP_PREFIX) :]
        for group_id in (getattr(user, "getGroups", list)() or ())
        if group_id.startswith(GROUP_PREFIX)
    ]
    return sorted(
        name
        for name in names
        if (group := find_user_group(name)) is not None and group.is_active()
    )


def package_etag(product, blob) -> str:
    """The package's strong entity tag: its recorded SHA-256, or else the blob's
    object id and revision (both change whenever the content does)."""
    digest = getattr(product, "package_sha256", None)
    if digest:
        return http.entity_tag(digest)
    return http.entity_tag(f"blob-{u64(blob._p_oid):x}-{u64(blob._p_serial):x}")


class Recorder:
    """Appends a download to the log once the server has closed its body."""

    def __init__(self, log: DownloadLog, entry: dict):
        self.log = log
        self.entry = entry

    def __call__(self, body: RangeFile) -> None:
        # Runs in the server's loop, after the request: no ZODB, plain data only.
        entry = {
            **self.entry,
            "bytes": body.sent,
            "complete": body.sent == body.length,
        }
        try:
            self.log.record(entry)
        except OSError as error:
            # Kept in the event log, so that a report can still be completed.
            logger.error(
                "download not recorded in %s (%s): %s",
                self.log.directory,
                error,
                json.dumps({"time": now(), **entry}),
            )


class PackageFirst:
    """A Product's package and its sidecar served here; other fields as before."""

    def __call__(self):
        if self.fieldname == PACKAGE:
            return self.package()
        if self.fieldname == SIDECAR:
            return self.sidecar()
        return super().__call__()

    def package_file(self):
        """The package, once the user's right to download it is checked.

        :raises Unauthorized: without the download permission (not a member of
            an approved, unexpired user group, nor staff).
        :raises NotFound: when the product has no package.
        """
        if not checkPermission(DOWNLOAD_PERMISSION, self.context):
            raise Unauthorized("You may not download this product's package.")
        file = getattr(aq_base(self.context), PACKAGE, None)
        if file is None:
            raise NotFound(self, PACKAGE, self.request)
        return file

    def download_name(self, file) -> str:
        return http.download_name(file.filename, f"{self.context.getId()}.zip")

    def package(self):
        """The package, or the range of it asked for; see the module."""
        file = self.package_file()
        blob = file._blob
        blob._p_activate()  # a ghost has no committed file name
        path = blob.committed()
        size = os.stat(path).st_size
        etag = package_etag(self.context, blob)
        modified = datetime.fromtimestamp(blob._p_mtime, UTC)
        response = self.request.response
        response.setHeader("Accept-Ranges", "bytes")
        response.setHeader("ETag", etag)
        response.setHeader("Last-Modified", http.http_date(modified))
        # Behind a login: no shared cache may keep it.
        response.setHeader("Cache-Control", "private")
        if self.not_modified(etag, modified):
            response.setStatus(304)
            return b""
        try:
            wanted = self.wanted_range(size, etag, modified)
        except http.Unsatisfiable as error:
            response.setStatus(416)
            response.setHeader("Content-Range", f"bytes */{size}")
            response.setHeader("Content-Type", "text/plain; charset=utf-8")
            return f"Range not satisfiable: {error}.\n"
        start, length = (wanted.start, wanted.length) if wanted else (0, size)
        if wanted is not None:
            response.setStatus(206)
            response.setHeader("Content-Range", wanted.content_range())
        name = self.download_name(file)
        response.setHeader("Content-Type", file.contentType or "application/zip")
        response.setHeader("Content-Disposition", http.content_disposition(name))
        response.setHeader("Content-Length", str(length))
        if self.request.get("REQUEST_METHOD", "GET").upper() == "HEAD":
            return b""
        entry = self.log_entry(name, size, start, length, wanted is not None)
        return RangeFile(path, start, length, on_close=Recorder(download_log(), entry))

    def not_modified(self, etag: str, modified: datetime) -> bool:
        """Whether the client has this very file (``If-None-Match``, else
        ``If-Modified-Since``): then 304."""
        match = self.request.getHeader("If-None-Match")
        if match is not None:
            return http.none_match(match, etag)
        since = self.request.getHeader("If-Modified-Since")
        return http.not_modified_since(since, modified)

    def wanted_range(
        self, size: int, etag: str, modified: datetime
    ) -> http.ByteRange | None:
        """The range to send, or None for the whole file (also when ``If-Range``
        names another version).

        :raises http.Unsatisfiable: for a range past the end (416).
        """
        if not http.if_range_holds(self.request.getHeader("If-Range"), etag, modified):
            return None
        return http.parse_range(self.request.getHeader("Range"), size)

    def log_entry(
        self, name: str, size: int, start: int, length: int, partial: bool
    ) -> dict:
        """Who downloads what, known now; the bytes sent are added at the end."""
        user = getSecurityManager().getUser()
        product = self.context
        return {
            "started": now(),
            "user": user.getId() or user.getUserName(),
            "groups": active_user_groups(user),
            "product_uid": IUUID(product, None),
            "product_id": product.getId(),
            "product_path": "/".join(product.getPhysicalPath()),
            "filename": name,
            "size": size,
            "status": 206 if partial else 200,
            "range": self.request.getHeader("Range"),
            "offset": start,
            "length": length,
            "client": self.request.getClientAddr(),
        }

    def sidecar(self):
        """``<sha256>  <file name>``: what ``sha256sum -c`` reads."""
        file = self.package_file()
        digest = getattr(self.context, "package_sha256", None)
        if not digest:
            raise NotFound(self, SIDECAR, self.request)
        name = self.download_name(file)
        response = self.request.response
        response.setHeader("Content-Type", "text/plain; charset=utf-8")
        response.setHeader(
            "Content-Disposition", http.content_disposition(f"{name}.sha256")
        )
        response.setHeader("Cache-Control", "private")
        return http.sha256sum_line(digest, name).encode("utf-8")


class ProductDownload(PackageFirst, Download):
    """``@@download`` on a Product."""


class ProductDisplayFile(PackageFirst, DisplayFile):
    """``@@display-file`` on a Product: the package is a download all the same."""


def parse_day(value, label: str) -> date | None:
    """A day of the report's form (``YYYY-MM-DD``), None when not given.

    :raises ValueError: with what is wrong, for the person who typed it.
    """
    value = str(value or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f"{label} {value[:20]!r} is not a day: write it as YYYY-MM-DD, "
            "e.g. 2026-01-31."
        ) from None


def parse_period(form) -> tuple[date | None, date | None]:
    """The first and last day (UTC, included) a report's form asks for.

    :raises ValueError: for a day that is not one, or a period that ends
        before it starts.
    """
    start = parse_day(form.get("start"), "start")
    end = parse_day(form.get("end"), "end")
    if start and end and end < start:
        raise ValueError(f"The period ends ({end}) before it starts ({start}).")
    return start, end


class DownloadsReportCSV(BrowserView):
    """``@@downloads-report.csv?start=2026-01-01&end=2026-12-31``: every record.

    UTF-8 with a byte order mark (Excel reads the accents right), written to a
    temporary file that the server streams: a year of downloads never sits in
    memory. A site changes the columns by overriding ``columns`` and ``cells``.
    """

    columns = (
        ("time", _("Time (UTC)")),
        ("user", _("User")),
        ("fullname", _("Name")),
        ("groups", _("User groups")),
        ("product_id", _("Product")),
        ("product_uid", _("Product UID")),
        ("product_path", _("Path")),
        ("filename", _("File")),
        ("size", _("File size (bytes)")),
        ("status", _("HTTP status")),
        ("range", _("Range asked")),
        ("offset", _("First byte")),
        ("length", _("Bytes to send")),
        ("bytes", _("Bytes sent")),
        ("complete", _("Complete")),
        ("client", _("Client address")),
        ("started", _("Started (UTC)")),
    )

    def __call__(self):
        response = self.request.response
        try:
            start, end = parse_period(self.request.form)
        except ValueError as error:
            response.setStatus(400)
            response.setHeader("Content-Type", "text/plain; charset=utf-8")
            return str(error)
        # Handed to the server, which closes it once sent.
        body = tempfile.TemporaryFile()  # noqa: SIM115
        text = io.TextIOWrapper(body, encoding="utf-8-sig", newline="")
        writer = csv.writer(text)
        writer.writerow(
            [translate(title, context=self.request) for _name, title in self.columns]
        )
        names = [name for name, _title in self.columns]
        fullnames = FullNames()
        for record in download_log().records(start, end):
            cells = self.cells(record, fullnames)
            writer.writerow([safe_cell(cells.get(name, "")) for name in names])
        text.flush()
        text.detach()
        body.seek(0)
        period = f"{start or 'start'}-to-{end or date.today()}"
        response.setHeader("Content-Type", "text/csv; charset=utf-8")
        response.setHeader(
            "Content-Disposition",
            f'attachment; filename="pleiades-downloads-{period}.csv"',
        )
        response.setHeader("Cache-Control", "private, no-store")
        return body

    def cells(self, record: dict, fullnames: "FullNames") -> dict:
        """A record as the spreadsheet's cells, by column name."""
        return {
            **record,
            "fullname": fullnames(record.get("user")),
            "groups": " ".join(record.get("groups") or ()),
            "range": record.get("range") or "",
            "complete": "yes" if record.get("complete") else "no",
        }


class FullNames:
    """Users' full names by id, each looked up once."""

    def __init__(self):
        self.known: dict[str, str] = {}

    def __call__(self, userid: str | None) -> str:
        if not userid:
            return ""
        if userid not in self.known:
            user = api.user.get(userid=userid)
            fullname = user.getProperty("fullname", "") if user else ""
            self.known[userid] = fullname or ""
        return self.known[userid]


class DownloadsReport(BrowserView):
    """``@@downloads-report``: totals per user group and per month, and a chart."""

    start = end = problem = None

    def __call__(self):
        self.update()
        return self.index()

    def update(self) -> None:
        try:
            self.start, self.end = parse_period(self.request.form)
        except ValueError as error:
            self.problem = str(error)
        records = () if self.problem else download_log().records(self.start, self.end)
        self.summary = summarise(records)

    def t(self, message) -> str:
        """``message`` in the language of the request."""
        return translate(message, context=self.request)

    def figures(self, totals: Totals) -> dict:
        """Totals as the page shows them."""
        return {
            "downloads": f"{totals.downloads:,}",
            "complete": f"{totals.complete:,}",
            "users": f"{len(totals.users):,}",
            "products": f"{len(totals.products):,}",
            "bytes": human_size(totals.bytes),
        }

    def total(self) -> dict:
        return self.figures(self.summary.total)

    def groups(self) -> list[dict]:
        """A row per user group, by title; staff (no group) last."""
        titles = group_titles()
        rows = sorted(
            (titles.get(group, group), totals)
            for group, totals in self.summary.groups.items()
            if group
        )
        staff = self.summary.groups.get("")
        if staff is not None:
            rows.append((self.t(_("Staff (no user group)")), staff))
        return [{"label": label, **self.figures(totals)} for label, totals in rows]

    def months(self) -> list[dict]:
        return [
            {"label": month, **self.figures(totals)}
            for month, totals in sorted(self.summary.months.items())
        ]

    def chart(self) -> str:
        """Downloads per month, the bytes sent in each bar's tooltip."""
        months = sorted(self.summary.months.items())
        return charts.bar_chart(
            [(month, totals.downloads) for month, totals in months],
            title=self.t(_("Downloads per month")),
            tooltips=[
                self.t(
                    _(
                        "${month}: ${downloads} downloads, ${bytes}",
                        mapping={
                            "month": month,
                            "downloads": f"{totals.downloads:,}",
                            "bytes": human_size(totals.bytes),
                        },
                    )
                )
                for month, totals in months
            ],
            css="downloads-chart",
        )

    def form_value(self, name: str) -> str:
        return str(self.request.form.get(name) or "")[:10]

    def csv_url(self) -> str:
        query = "&".join(
            f"{name}={value}"
            for name, value in (("start", self.start), ("end", self.end))
            if value
        )
        url = f"{self.context.absolute_url()}/@@downloads-report.csv"
        return f"{url}?{query}" if query else url


class MyDownloads(BrowserView):
    """``@@my-downloads``: the logged-in member's downloads of the last year."""

    days = MINE_DAYS
    listed = MINE_LISTED

    def __call__(self):
        self.update()
        return self.index()

    def update(self) -> None:
        userid = api.user.get_current().getId()
        since = date.today() - timedelta(days=self.days)
        mine = [r for r in download_log().records(since) if r.get("user") == userid]
        self.count = len(mine)
        self.records = mine[::-1][: self.listed]

    def rows(self) -> list[dict]:
        """The newest first, linked to the products the member may still see."""
        uids = [r["product_uid"] for r in self.records if r.get("product_uid")]
        catalog = api.portal.get_tool("portal_catalog")
        found = {brain.UID: brain for brain in catalog(UID=uids)} if uids else {}
        rows = []
        for record in self.records:
            brain = found.get(record.get("product_uid"))
            rows.append(
                {
                    "time": record["time"][:19].replace("T", " "),
                    "title": brain.Title if brain else record.get("product_id"),
                    "url": brain.getURL() if brain else None,
                    "filename": record.get("filename"),
                    "range": record.get("range") or "",
                    "bytes": human_size(record.get("bytes")),
                    "complete": bool(record.get("complete")),
                }
            )
        return rows
