"""The agreement dashboard of validators and operators, and the yearly report.

``@@quota-dashboard?year=2026`` shows what an agreement year has used (gauges),
the acquisition attempts month by month against the pacing cap, the spending
beyond the quotas, and the year's decisions. ``@@quota-report.csv?year=2026``
is the same decisions as a spreadsheet, for the agreement's yearly report.
Both read the decisions from the catalog (quota/service.py), never the objects.
"""

from belspo.pleiades import _
from belspo.pleiades.browser import charts
from belspo.pleiades.quota import config
from belspo.pleiades.quota import service
from belspo.pleiades.quota.engine import QuotaError
from datetime import date
from datetime import datetime
from decimal import Decimal
from plone import api
from plone.base.i18nl10n import monthname_english
from plone.base.i18nl10n import monthname_msgid
from plone.base.i18nl10n import monthname_msgid_abbr
from Products.Five import BrowserView
from zope.i18n import translate

import csv
import io


def parse_year(value) -> int | None:
    """The year asked for in a form, or None when it is not a year."""
    value = str(value or "").strip()
    return int(value) if value.isdigit() and len(value) == 4 else None


def decision_day(row: dict) -> date:
    """The day a recorded decision was taken (its date is ISO, with an offset)."""
    return date.fromisoformat(row["date"][:10])


def chronological(row: dict) -> tuple[datetime, str]:
    """The order decisions were taken in (offsets differ across a DST change)."""
    return datetime.fromisoformat(row["date"]), row["request_id"]


def group_titles() -> dict[str, str]:
    """The user groups' titles by id (a request names its group by id)."""
    catalog = api.portal.get_tool("portal_catalog")
    return {
        brain.getId: brain.Title
        for brain in catalog.unrestrictedSearchResults(portal_type="UserGroup")
    }


def spending_by_month(agreement, rows: list[dict]) -> list[tuple[str, Decimal]]:
    """What the requests beyond the quotas were priced, per agreement month."""
    months = [f"{agreement.month_start(index):%Y-%m}" for index in range(12)]
    spent = dict.fromkeys(months, Decimal(0))
    for row in rows:
        day = decision_day(row)
        if row["within_quota"] or not agreement.contains(day):
            continue
        spent[agreement.month_label(day)] += Decimal(str(row["price"] or 0))
    return list(spent.items())


class QuotaDashboard(BrowserView):
    """``@@quota-dashboard`` on the site root."""

    year = agreement = ledger = None
    unknown_year = problem = None

    def __call__(self):
        self.update()
        return self.index()

    def update(self) -> None:
        """Pick the year (the one asked for, else today's) and read its figures."""
        self.today = date.today()
        self.years = config.years()
        self.rows = []
        asked = self.request.form.get("year")
        year = parse_year(asked)
        if year in self.years:
            self.year = year
        else:
            self.year = config.year_of(self.today) or (
                self.years[-1] if self.years else None
            )
            if asked:
                self.unknown_year = str(asked)
        if self.year is None:
            return
        try:
            self.agreement = config.agreement(self.year)
            self.rows = service.recorded(self.year)
            self.ledger = service.ledger(self.year, self.today)
        except QuotaError as error:
            self.problem = str(error)

    def t(self, message) -> str:
        """``message`` in the language of the request."""
        return translate(message, context=self.request)

    def month_names(self, month: str) -> tuple[str, str]:
        """``"2026-03"`` as its short label (``Mar``) and its name (``March 2026``)."""
        year, number = (int(part) for part in month.split("-"))
        short = translate(
            monthname_msgid_abbr(number),
            domain="plonelocales",
            context=self.request,
            default=monthname_english(number, format="a"),
        )
        full = translate(
            monthname_msgid(number),
            domain="plonelocales",
            context=self.request,
            default=monthname_english(number),
        )
        return short, f"{full} {year}"

    def year_options(self) -> list[dict]:
        """The configured years, newest first, the shown one selected."""
        return [
            {"year": year, "selected": year == self.year}
            for year in reversed(self.years)
        ]

    def period(self) -> str:
        agreement = self.agreement
        return self.t(
            _(
                "From ${start} until ${end} (end excluded), as of ${today}.",
                mapping={
                    "start": agreement.start.isoformat(),
                    "end": agreement.end.isoformat(),
                    "today": self.today.isoformat(),
                },
            )
        )

    def _gauge(self, label, used: int, total: int, unit) -> dict:
        """A gauge's heading, its SVG and what remains, in words."""
        percent = charts.percent(used, total)
        name = self.t(
            _(
                "${label}: ${used} of ${total} ${unit} used (${percent} %)",
                mapping={
                    "label": self.t(label),
                    "used": f"{used:,}",
                    "total": f"{total:,}",
                    "unit": self.t(unit),
                    "percent": percent,
                },
            )
        )
        return {
            "label": label,
            "svg": charts.gauge(used, total, title=name),
            "level": charts.level(used, total),
            "remaining": self.t(
                _(
                    "${remaining} ${unit} remaining",
                    mapping={
                        "remaining": f"{max(total - used, 0):,}",
                        "unit": self.t(unit),
                    },
                )
            ),
        }

    def gauges(self) -> list[dict]:
        """Yearly rights, priority share, extraction rights, and this month."""
        ledger = self.ledger
        if ledger is None:
            return []
        attempts, scenes = _("attempts"), _("scenes")
        gauges = [
            self._gauge(
                _("Yearly acquisition rights"),
                ledger.rights_used,
                ledger.rights,
                attempts,
            ),
            self._gauge(
                _("Priority share"),
                ledger.priority_used,
                ledger.priority_cap,
                attempts,
            ),
            self._gauge(
                _("Catalogue extraction rights"),
                ledger.extraction_used,
                ledger.extraction_rights,
                scenes,
            ),
        ]
        if ledger.month is not None:
            gauges.append(
                self._gauge(
                    _(
                        "Monthly pacing: ${month}",
                        mapping={"month": self.month_names(ledger.month)[1]},
                    ),
                    ledger.month_used,
                    ledger.month_cap,
                    attempts,
                )
            )
        return gauges

    def attempts_chart(self) -> str:
        """Within-quota attempts per month, against the monthly pacing cap."""
        ledger = self.ledger
        cap = ledger.month_cap
        labels, tooltips = [], []
        for month, attempts in ledger.by_month:
            short, full = self.month_names(month)
            labels.append((short, attempts))
            message = (
                _(
                    "${month}: ${attempts} attempts, above the cap of ${cap}",
                    mapping={"month": full, "attempts": f"{attempts:,}", "cap": cap},
                )
                if attempts > cap
                else _(
                    "${month}: ${attempts} attempts",
                    mapping={"month": full, "attempts": f"{attempts:,}"},
                )
            )
            tooltips.append(self.t(message))
        return charts.monthly_chart(
            labels,
            title=self.t(
                _(
                    "Acquisition attempts per month, against the monthly cap of ${cap}",
                    mapping={"cap": f"{cap:,}"},
                )
            ),
            cap=cap,
            cap_label=self.t(_("Monthly cap: ${cap}", mapping={"cap": f"{cap:,}"})),
            tooltips=tooltips,
        )

    def spending_chart(self) -> str:
        """What the requests beyond the quotas cost, per month."""
        currency = self.agreement.currency
        labels, tooltips = [], []
        for month, amount in spending_by_month(self.agreement, self.rows):
            short, full = self.month_names(month)
            labels.append((short, float(amount)))
            tooltips.append(f"{full}: {amount:,.2f} {currency}")
        return charts.money_chart(
            labels,
            title=self.t(
                _(
                    "Spending beyond the quotas per month, in ${currency}",
                    mapping={"currency": currency},
                )
            ),
            currency=currency,
            tooltips=tooltips,
        )

    def beyond_quota(self) -> str:
        ledger = self.ledger
        return self.t(
            _(
                "Requests beyond the quotas: ${count}, priced ${amount} "
                "${currency} in all.",
                mapping={
                    "count": ledger.beyond_quota_count,
                    "amount": f"{ledger.beyond_quota_spent:,.2f}",
                    "currency": self.agreement.currency,
                },
            )
        )

    def decisions(self) -> list[dict]:
        """The year's decisions, the latest first, as the table shows them."""
        workflow = api.portal.get_tool("portal_workflow")
        groups = group_titles()
        kinds = {"programming": _("Programming"), "extraction": _("Extraction")}
        rows = []
        for row in sorted(self.rows, key=chronological, reverse=True):
            state = workflow.getTitleForStateOnType(
                row["review_state"], "AcquisitionRequest"
            )
            rows.append(
                {
                    "title": row["title"] or row["request_id"],
                    "url": row["url"],
                    "group": groups.get(row["user_group"], row["user_group"]),
                    "kind": kinds.get(row["kind"], row["kind"]),
                    "priority": row["mode"] == "priority",
                    "amount": (
                        row["attempts"] if row["kind"] == "programming" else None
                    ),
                    "scenes": row["scenes"] if row["kind"] == "extraction" else None,
                    "within_quota": row["within_quota"],
                    "category": service.category_title(row["category"]),
                    "price": f"{row['price'] or 0:,.2f} {row['currency']}",
                    "validator": row["validator_name"] or row["validator"],
                    "date": row["date"],
                    "day": row["date"][:10],
                    "reason": row["reason"],
                    "state": translate(
                        state, domain="belspo.pleiades", context=self.request
                    ),
                }
            )
        return rows

    def report_url(self) -> str:
        return f"{self.context.absolute_url()}/@@quota-report.csv?year={self.year}"


# Formula injection: a spreadsheet runs a cell that starts with one of these.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """A text cell a spreadsheet shows as text, never runs as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class QuotaReport(BrowserView):
    """``@@quota-report.csv?year=2026``: the year's counted requests, and totals.

    UTF-8 with a byte order mark, so that Excel reads the accents right. A site
    changes the columns by overriding ``columns`` and ``cells``.
    """

    columns = (
        ("request_id", _("Request id")),
        ("title", _("Title")),
        ("url", _("URL")),
        ("user_group", _("User group")),
        ("kind", _("Kind")),
        ("mode", _("Mode")),
        ("attempts", _("Attempts")),
        ("scenes", _("Scenes")),
        ("area_km2", _("Area (km²)")),
        ("product_type", _("Product type")),
        ("date", _("Validated on")),
        ("validator", _("Validator")),
        ("category", _("Category")),
        ("price", _("Price")),
        ("currency", _("Currency")),
        ("review_state", _("State")),
        ("distributor_reference", _("Distributor reference")),
        ("reason", _("Reason")),
    )

    def __call__(self):
        response = self.request.response
        years = config.years()
        asked = self.request.form.get("year")
        year = parse_year(asked)
        if year not in years:
            # Plone's error page would hide the reason; the caller needs it.
            what = f"No agreement year {asked!s:.20}" if asked else "No year given"
            known = ", ".join(map(str, years)) or "none"
            example = years[-1] if years else date.today().year
            return self.bad_request(
                f"{what}: ask for one of the agreement years ({known}), as in "
                f"@@quota-report.csv?year={example}."
            )
        try:
            rows = sorted(service.recorded(year), key=chronological)
        except QuotaError as error:
            return self.bad_request(str(error))
        response.setHeader("Content-Type", "text/csv; charset=utf-8")
        response.setHeader(
            "Content-Disposition", f'attachment; filename="pleiades-quota-{year}.csv"'
        )
        response.setHeader("Cache-Control", "private, no-store")
        return ("\ufeff" + self.table(rows)).encode("utf-8")

    def bad_request(self, message: str) -> str:
        response = self.request.response
        response.setStatus(400)
        response.setHeader("Content-Type", "text/plain; charset=utf-8")
        return message

    def table(self, rows: list[dict]) -> str:
        """The CSV text: the header, a line per request, and the totals."""
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        names = [name for name, _title in self.columns]
        writer.writerow(
            [translate(title, context=self.request) for _name, title in self.columns]
        )
        groups = group_titles()
        for cells in [*(self.cells(row, groups) for row in rows), self.totals(rows)]:
            writer.writerow([safe_cell(cells.get(name, "")) for name in names])
        return buffer.getvalue()

    def cells(self, row: dict, groups: dict[str, str]) -> dict:
        """One request's cells by column name."""
        return {
            **row,
            "user_group": groups.get(row["user_group"], row["user_group"]) or "",
            "area_km2": f"{row['area_km2'] or 0:.3f}",
            "validator": row["validator_name"] or row["validator"],
            "price": f"{row['price'] or 0:.2f}",
            "distributor_reference": row["distributor_reference"] or "",
        }

    def totals(self, rows: list[dict]) -> dict:
        """The totals row: counts, area and price added up."""
        currencies = {row["currency"] for row in rows}
        area = sum(Decimal(str(row["area_km2"] or 0)) for row in rows)
        return {
            "request_id": translate(_("Total"), context=self.request),
            "title": translate(
                _("Requests: ${count}", mapping={"count": len(rows)}),
                context=self.request,
            ),
            "attempts": sum(row["attempts"] or 0 for row in rows),
            "scenes": sum(row["scenes"] or 0 for row in rows),
            "area_km2": f"{area:.3f}",
            # Prices of different currencies do not add up.
            "price": (
                f"{sum(Decimal(str(row['price'] or 0)) for row in rows):.2f}"
                if len(currencies) <= 1
                else ""
            ),
            "currency": currencies.pop() if len(currencies) == 1 else "",
        }
