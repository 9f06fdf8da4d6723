"""``@@preservation``: the nightly backup's last run and its history, for operators.

Reads the reports ``record_run`` keeps in the portal (records.py): the last
run's status, a warning when the last run that went well is too old, a chart
and a table of the last runs.
"""

from belspo.pleiades import _
from belspo.pleiades.browser import charts
from belspo.pleiades.preservation.records import last_success
from belspo.pleiades.preservation.records import moment
from belspo.pleiades.preservation.records import problem_line
from belspo.pleiades.preservation.records import reports
from datetime import datetime
from datetime import timedelta
from datetime import UTC
from Products.Five import BrowserView
from zope.i18n import translate

import math


# The last run that went well may be this old before the dashboard warns.
STALE_AFTER = timedelta(hours=36)
# The runs in the chart and the table.
HISTORY = 30
# The problems listed per run; the report has them all.
LISTED = 20

SIZE_UNITS = ("B", "kB", "MB", "GB", "TB", "PB")
# A duration axis reads in the largest of these units its longest run reaches.
TIME_UNITS = ((3600, "h"), (60, "min"), (1, "s"))


def nonnegative(value) -> float:
    """A figure of a report as a number ≥ 0 (missing, NaN or negative: 0)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0.0
    return float(value) if math.isfinite(value) and value > 0 else 0.0


def size(value) -> str:
    """A number of bytes as read at a glance, in decimal units: ``1.5 GB``."""
    value = nonnegative(value)
    power = min(int(math.log10(value) // 3) if value >= 1 else 0, len(SIZE_UNITS) - 1)
    if power == 0:
        return f"{value:,.0f} B"
    scaled = value / 1000**power
    return f"{scaled:,.{0 if scaled >= 100 else 1}f} {SIZE_UNITS[power]}"


def duration(seconds) -> str:
    """A run's duration: ``45 s``, ``12 min 05 s``, ``2 h 03 min``."""
    seconds = round(nonnegative(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours:,} h {minutes:02d} min"


def when(value) -> str:
    """A report's ISO time as shown: ``2026-03-14 02:00 UTC`` (else as given)."""
    time = moment(value)
    return f"{time.astimezone(UTC):%Y-%m-%d %H:%M} UTC" if time else str(value or "")


def figure(report: dict, key: str) -> int:
    """A count of a report, 0 when missing."""
    value = report.get(key)
    return int(value) if isinstance(value, int | float) and value > 0 else 0


def files_verified(report: dict) -> int:
    """The files whose SHA-256 a run checked: the new ones and the rolling share."""
    return figure(report, "verified_new") + figure(report, "verified_rolling")


class PreservationDashboard(BrowserView):
    """``@@preservation`` on the site root."""

    def __call__(self):
        self.update()
        return self.index()

    def update(self) -> None:
        self.now = datetime.now(UTC)
        self.runs = reports(self.context, limit=HISTORY)
        self.last = self.runs[0] if self.runs else None
        self.success = last_success(self.context) if self.runs else None

    def t(self, message) -> str:
        """``message`` in the language of the request."""
        return translate(message, context=self.request)

    def ok(self, report: dict) -> bool:
        return report.get("status") == "ok"

    def status_title(self, report: dict):
        return _("OK") if self.ok(report) else _("Failed")

    def row(self, report: dict) -> dict:
        """A run as the dashboard shows it."""
        problems = [problem_line(problem) for problem in report.get("problems") or ()]
        return {
            "run_id": report.get("run_id", ""),
            "started": when(report.get("started") or report.get("run_id")),
            "finished": when(report.get("finished")),
            "ok": self.ok(report),
            "status": self.status_title(report),
            "duration": duration(report.get("duration_s")),
            "transactions": f"{figure(report, 'transactions'):,}",
            "objects": f"{figure(report, 'objects'):,}",
            "blobs": f"{figure(report, 'blobs'):,}",
            "bytes": size(report.get("bytes")),
            "verified": f"{files_verified(report):,}",
            "problems": problems[:LISTED],
            "more": (
                self.t(
                    _(
                        "… and ${more} more",
                        mapping={"more": f"{len(problems) - LISTED:,}"},
                    )
                )
                if len(problems) > LISTED
                else ""
            ),
            "first_copy": bool(report.get("first_copy")),
        }

    def last_run(self) -> dict | None:
        return self.row(self.last) if self.last is not None else None

    def summary(self) -> str:
        """The last run in one sentence: when, how long, what was copied and checked."""
        last = self.last
        return self.t(
            _(
                "Started ${started}, took ${duration}: ${bytes} copied "
                "(${transactions} transactions), ${verified} files verified.",
                mapping={
                    "started": when(last.get("started") or last.get("run_id")),
                    "duration": duration(last.get("duration_s")),
                    "bytes": size(last.get("bytes")),
                    "transactions": f"{figure(last, 'transactions'):,}",
                    "verified": f"{files_verified(last):,}",
                },
            )
        )

    def stale(self) -> str | None:
        """Why the backup is out of date, or None while the last success is recent."""
        if self.last is None:
            return None
        if self.success is None:
            return self.t(
                _(
                    "No backup run has succeeded yet: there is no verified copy "
                    "of the portal."
                )
            )
        finished = moment(self.success.get("finished")) or moment(
            self.success.get("run_id")
        )
        if finished is not None and self.now - finished <= STALE_AFTER:
            return None
        hours = int((self.now - finished).total_seconds() // 3600) if finished else None
        return self.t(
            _(
                "The last successful backup finished ${hours} hours ago "
                "(${finished}): the verified copy is older than 36 hours. Check "
                "that the nightly backup runs and why it fails.",
                mapping={
                    "hours": f"{hours:,}" if hours is not None else "?",
                    "finished": when(self.success.get("finished")),
                },
            )
        )

    def rows(self) -> list[dict]:
        """The last runs, the newest first."""
        return [self.row(report) for report in self.runs]

    def _tooltip(self, report: dict, what) -> str:
        text = f"{when(report.get('started') or report.get('run_id'))}: {self.t(what)}"
        if not self.ok(report):
            count = len(report.get("problems") or ())
            text += " — " + self.t(
                _("failed, ${count} problem(s)", mapping={"count": count})
            )
        return text

    def bytes_chart(self) -> str:
        """The bytes each run copied, failed runs in red."""
        runs, tooltips = [], []
        for report in reversed(self.runs):
            runs.append(self._point(report, report.get("bytes")))
            tooltips.append(
                self._tooltip(
                    report,
                    _(
                        "${bytes} copied",
                        mapping={"bytes": size(report.get("bytes"))},
                    ),
                )
            )
        return charts.history_chart(
            runs,
            title=self.t(
                _(
                    "Bytes copied by the last ${count} backup runs",
                    mapping={"count": len(runs)},
                )
            ),
            tooltips=tooltips,
            fmt=size,
            css="history-chart preservation-bytes",
        )

    def duration_chart(self) -> str:
        """How long each run took, failed runs in red."""
        longest = max((nonnegative(r.get("duration_s")) for r in self.runs), default=0)
        seconds, unit = next(
            (seconds, unit)
            for seconds, unit in TIME_UNITS
            if longest >= 2 * seconds or seconds == 1
        )
        runs, tooltips = [], []
        for report in reversed(self.runs):
            runs.append(
                self._point(report, nonnegative(report.get("duration_s")) / seconds)
            )
            tooltips.append(
                self._tooltip(
                    report,
                    _(
                        "took ${duration}",
                        mapping={"duration": duration(report.get("duration_s"))},
                    ),
                )
            )
        return charts.history_chart(
            runs,
            title=self.t(
                _(
                    "Duration of the last ${count} backup runs",
                    mapping={"count": len(runs)},
                )
            ),
            tooltips=tooltips,
            fmt=lambda value: f"{value:,.1f}".removesuffix(".0") + f" {unit}",
            colour=charts.COLOURS["money"],
            line=True,
            css="history-chart preservation-duration",
        )

    def _point(self, report: dict, value) -> tuple[str, float, bool]:
        """A run in a chart: its day, ``value`` and whether it failed."""
        started = moment(report.get("started") or report.get("run_id"))
        label = f"{started:%m-%d}" if started else "?"
        return label, nonnegative(value), not self.ok(report)
