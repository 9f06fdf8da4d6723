"""The agreement's numbers, one set of registry records per agreement year.

A year's records live under ``belspo.pleiades.agreement.<year>``: changing this
year's numbers leaves the past years as they were, and an ended year cannot be
changed at all (its validations were decided on its numbers). Shares are
entered in per cent, as the agreement states them; the engine works in
fractions.
"""

from belspo.pleiades import _
from belspo.pleiades.quota.engine import add_months
from belspo.pleiades.quota.engine import Agreement
from belspo.pleiades.quota.engine import PriceLine
from belspo.pleiades.quota.engine import QuotaError
from datetime import date
from plone.registry.interfaces import IRegistry
from types import SimpleNamespace
from zope import schema
from zope.component import getUtility
from zope.interface import Interface
from zope.interface import Invalid


PREFIX = "belspo.pleiades.agreement"

# The illustrative defaults of a new portal; the administrator sets the real ones.
DEFAULT_PRICES = [
    "archive | 10.00 | 25",
    "tasking | 17.50 | 100",
    "priority-tasking | 25.00 | 100",
]


def parse_price_line(line: str) -> tuple[str, PriceLine]:
    """``"tasking | 17.50 | 100"`` as ``("tasking", PriceLine(17.5, 100.0))``."""
    parts = [part.strip() for part in line.split("|")]
    if len(parts) != 3 or not parts[0]:
        raise QuotaError(
            f"{line!r}: write a price line as 'product type | price per km² | "
            "minimum km²'"
        )
    try:
        per_km2, minimum = float(parts[1]), float(parts[2])
    except ValueError:
        raise QuotaError(
            f"{line!r}: the price and the minimum must be numbers"
        ) from None
    return parts[0], PriceLine(per_km2, minimum)


def _check_prices(lines) -> bool:
    for line in lines or []:
        try:
            parse_price_line(line)
        except QuotaError as error:
            raise Invalid(str(error)) from None
    return True


class IAgreementYear(Interface):
    """One agreement year's numbers (DESIGN.md section 1)."""

    start = schema.Date(
        title=_("Start of the agreement year"),
        description=_("The year runs twelve months from this day."),
    )
    capacity = schema.Int(
        title=_("Satellites' yearly acquisition capacity"),
        description=_("In acquisition attempts."),
        min=0,
        default=125000,
    )
    rights_share = schema.Float(
        title=_("Acquisition rights (% of the capacity)"),
        min=0.0,
        max=100.0,
        default=4.0,
    )
    priority_share = schema.Float(
        title=_("Priority programming (% of the rights)"),
        min=0.0,
        max=100.0,
        default=10.0,
    )
    pacing_share = schema.Float(
        title=_("Monthly pacing (% of the rights)"),
        description=_(
            "A best-effort cap: going beyond it needs the validator's written reason."
        ),
        min=0.0,
        max=100.0,
        default=12.0,
    )
    annual_sales = schema.Int(
        title=_("Distributor's global annual sales"),
        description=_("In scenes."),
        min=0,
        default=5000,
    )
    extraction_share = schema.Float(
        title=_("Catalogue extraction rights (% of the sales)"),
        min=0.0,
        max=100.0,
        default=4.0,
    )
    extraction_floor = schema.Int(
        title=_("Catalogue extraction floor"),
        description=_("The fewest scenes the extraction rights give, in scenes."),
        min=0,
        default=150,
    )
    prices = schema.List(
        title=_("Category 3 price list"),
        description=_(
            "One line per product type: type | price per km² | minimum km². "
            "Types: archive, tasking, priority-tasking."
        ),
        value_type=schema.TextLine(),
        default=list(DEFAULT_PRICES),
        constraint=_check_prices,
    )
    beyond_discount = schema.Float(
        title=_("Discount beyond the quotas (%)"),
        min=0.0,
        max=100.0,
        default=20.0,
    )
    currency = schema.TextLine(title=_("Currency"), default="EUR")


def registry():
    return getUtility(IRegistry)


def prefix(year: int) -> str:
    return f"{PREFIX}.{year}"


def years() -> list[int]:
    """The configured agreement years, oldest first."""
    found = set()
    for name in registry().records.keys(min=PREFIX + ".", max=PREFIX + "/"):
        part = name[len(PREFIX) + 1 :].split(".")[0]
        if part.isdigit():
            found.add(int(part))
    return sorted(found)


def settings(year: int):
    """The registry records of ``year``, as attributes."""
    if year not in years():
        raise QuotaError(
            f"no agreement is configured for {year}: an administrator opens the "
            "year in the agreement's control panel"
        )
    return registry().forInterface(IAgreementYear, prefix=prefix(year))


def agreement(year: int) -> Agreement:
    """The engine's view of ``year``'s records."""
    records = settings(year)
    return agreement_from(
        year, {name: getattr(records, name) for name in IAgreementYear.names()}
    )


def agreement_from(year: int, values: dict) -> Agreement:
    """The engine's view of a year's values (as the records or a form hold them).

    :raises QuotaError: when the values do not make an agreement.
    """
    records = SimpleNamespace(**values)
    return Agreement(
        year=year,
        start=records.start,
        capacity=records.capacity,
        rights_share=records.rights_share / 100,
        priority_share=records.priority_share / 100,
        pacing_share=records.pacing_share / 100,
        annual_sales=records.annual_sales,
        extraction_share=records.extraction_share / 100,
        extraction_floor=records.extraction_floor,
        prices=dict(parse_price_line(line) for line in records.prices or []),
        beyond_discount=records.beyond_discount / 100,
        currency=records.currency or "EUR",
    )


def year_of(day: date) -> int | None:
    """The agreement year ``day`` falls in, or None."""
    for year in years():
        if agreement(year).contains(day):
            return year
    return None


def is_closed(year: int, today: date | None = None) -> bool:
    """An ended year keeps the numbers its validations were decided on."""
    return agreement(year).end <= (today or date.today())


def open_year(year: int, start: date | None = None, **values) -> None:
    """Add ``year``'s records, copying the latest year before it (or the defaults).

    :raises QuotaError: if the year exists or would overlap another.
    """
    known = years()
    if year in known:
        raise QuotaError(f"the agreement year {year} exists already")
    earlier = [y for y in known if y < year]
    source = settings(earlier[-1]) if earlier else None
    if start is None:
        start = (
            add_months(source.start, 12 * (year - earlier[-1]))
            if source
            else date(year, 1, 1)
        )
    check_period(year, start)
    registry().registerInterface(IAgreementYear, prefix=prefix(year))
    records = registry().forInterface(IAgreementYear, prefix=prefix(year))
    if source is not None:
        for name in IAgreementYear.names():
            setattr(records, name, getattr(source, name))
    records.start = start
    for name, value in values.items():
        setattr(records, name, value)
    agreement(year)  # the numbers must make an agreement


def check_period(year: int, start: date) -> None:
    """A year is named after the year it starts in and overlaps no other."""
    if start.year != year:
        raise QuotaError(
            f"the agreement year {year} must start in {year}, not on {start}"
        )
    end = add_months(start, 12)
    for other in years():
        if other == year:
            continue
        theirs = agreement(other)
        if start < theirs.end and theirs.start < end:
            raise QuotaError(
                f"{start} to {end} overlaps the agreement year {other} "
                f"({theirs.start} to {theirs.end})"
            )
