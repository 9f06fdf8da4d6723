"""The agreement's quotas: what a year grants, what is used, and what a request costs.

Plain Python (no Zope), so the arithmetic is testable on its own. Counts (attempts,
scenes) are whole numbers: a share of a count is rounded down, so the software never
grants more than the agreement does. Money is computed with ``Decimal`` and rounded
to cents (half up) per request; totals add those rounded amounts, so a ledger's sum
is the sum of the prices its requests were given.
"""

from dataclasses import dataclass
from dataclasses import field
from datetime import date
from decimal import Decimal
from decimal import ROUND_FLOOR
from decimal import ROUND_HALF_UP
from typing import Literal

import calendar
import math


Kind = Literal["programming", "extraction"]
Mode = Literal["standard", "priority"]

KINDS: tuple[str, ...] = ("programming", "extraction")
MODES: tuple[str, ...] = ("standard", "priority")
WITHIN_QUOTA = "within quota"

# A request for more than this many times the year's rights is a typing error.
ABSURD_FACTOR = 10

CENT = Decimal("0.01")


class QuotaError(ValueError):
    """An agreement, a spending or a request the quota engine cannot work with."""


def _decimal(value: float) -> Decimal:
    """The decimal a person typing ``value`` meant (0.04, not 0.0400000000000000008)."""
    return Decimal(str(value))


def _share_of(share: float, total: int) -> int:
    """``share`` of ``total``, rounded down to a whole count."""
    return int((_decimal(share) * total).to_integral_value(rounding=ROUND_FLOOR))


def _cents(amount: Decimal) -> Decimal:
    """``amount`` rounded to cents, half up as on an invoice."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def _percent(share: float) -> str:
    """``0.12`` as ``"12%"``."""
    return f"{share * 100:g}%"


def _is_count(value: object) -> bool:
    """True for a whole number (``bool`` is not one here)."""
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    """True for a finite int or float."""
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
    )


def add_months(day: date, months: int) -> date:
    """``day`` moved by ``months``, on the last day of the month when it is shorter."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class PriceLine:
    """One line of the Category 3 price list: a price per km² and a minimum order."""

    per_km2: float
    minimum_km2: float

    def __post_init__(self) -> None:
        for name in ("per_km2", "minimum_km2"):
            value = getattr(self, name)
            if not _is_number(value) or value < 0:
                raise QuotaError(f"{name} must be a number ≥ 0, not {value!r}")


@dataclass(frozen=True, kw_only=True)
class Agreement:
    """One agreement year's numbers; every rule derives from these.

    Keyword-only: with this many numbers a positional call is a mistake waiting.
    ``prices`` maps a product type to a ``PriceLine`` or a ``(per_km2, minimum_km2)``
    pair.
    """

    year: int
    start: date
    capacity: int
    rights_share: float = 0.04
    priority_share: float = 0.10
    pacing_share: float = 0.12
    annual_sales: int
    extraction_share: float = 0.04
    extraction_floor: int = 150
    prices: dict[str, PriceLine] = field(default_factory=dict)
    beyond_discount: float = 0.20
    currency: str = "EUR"

    def __post_init__(self) -> None:
        if not _is_count(self.year):
            raise QuotaError(
                f"the agreement year must be a whole number: {self.year!r}"
            )
        if not isinstance(self.start, date):
            raise QuotaError(f"the agreement start must be a date: {self.start!r}")
        for name in ("capacity", "annual_sales", "extraction_floor"):
            value = getattr(self, name)
            if not _is_count(value) or value < 0:
                raise QuotaError(f"{name} must be a whole number ≥ 0, not {value!r}")
        for name in (
            "rights_share",
            "priority_share",
            "pacing_share",
            "extraction_share",
            "beyond_discount",
        ):
            value = getattr(self, name)
            if not _is_number(value) or not 0 <= value <= 1:
                raise QuotaError(f"{name} must be between 0 and 1, not {value!r}")
        prices = {}
        for product_type, line in dict(self.prices).items():
            if not isinstance(line, PriceLine):
                try:
                    line = PriceLine(*line)
                except TypeError as error:
                    raise QuotaError(
                        f"the price of {product_type!r} must be "
                        f"(price per km², minimum km²), not {line!r}"
                    ) from error
            prices[product_type] = line
        # A private copy: the caller's dict may change, this year's prices must not.
        object.__setattr__(self, "prices", prices)

    @property
    def rights(self) -> int:
        """The year's acquisition rights, in acquisition attempts."""
        return _share_of(self.rights_share, self.capacity)

    @property
    def priority_cap(self) -> int:
        """The most attempts of the year that may be programmed in priority mode."""
        return _share_of(self.priority_share, self.rights)

    @property
    def monthly_cap(self) -> int:
        """The attempts one month should not exceed (best effort: a warning)."""
        return _share_of(self.pacing_share, self.rights)

    @property
    def extraction_rights(self) -> int:
        """The year's catalogue extraction rights, in scenes."""
        return max(
            _share_of(self.extraction_share, self.annual_sales), self.extraction_floor
        )

    @property
    def end(self) -> date:
        """The first day after the agreement year."""
        return add_months(self.start, 12)

    @property
    def discount_label(self) -> str:
        """The pricing category of requests beyond the quotas."""
        return f"Category 3 -{_percent(self.beyond_discount)}"

    def contains(self, day: date) -> bool:
        """True if ``day`` falls within the agreement year."""
        return self.start <= day < self.end

    def month_index(self, day: date) -> int:
        """The agreement month (0 to 11) that ``day`` falls in."""
        if not self.contains(day):
            raise QuotaError(
                f"{day.isoformat()} is outside the agreement year {self.year} "
                f"({self.start.isoformat()} to {self.end.isoformat()}, end excluded)"
            )
        index = (day.year - self.start.year) * 12 + day.month - self.start.month
        # With a start after the 1st, the agreement month may still be the previous.
        if self.month_start(index) > day:
            index -= 1
        return index

    def month_start(self, index: int) -> date:
        """The first day of agreement month ``index`` (0 is the start's month)."""
        return add_months(self.start, index)

    def month_label(self, day: date) -> str:
        """The label of the agreement month of ``day``, such as ``"2026-03"``."""
        return f"{self.month_start(self.month_index(day)):%Y-%m}"

    def price(self, product_type: str, area_km2: float) -> float:
        """The Category 3 price, after the discount, of ``area_km2`` of a product."""
        return float(self._price(product_type, area_km2))

    def _price(self, product_type: str, area_km2: float) -> Decimal:
        """The discounted price in cents, as a ``Decimal``."""
        line = self.prices.get(product_type)
        if line is None:
            known = ", ".join(sorted(self.prices)) or "none"
            raise QuotaError(
                f"no Category 3 price for product type {product_type!r} in the "
                f"agreement year {self.year} (priced types: {known})"
            )
        area = max(_decimal(area_km2), _decimal(line.minimum_km2))
        full = area * _decimal(line.per_km2)
        return _cents(full * (1 - _decimal(self.beyond_discount)))


def _check_request(
    what: str, kind: str, mode: str, attempts: int, scenes: int, area_km2: float
) -> None:
    """Refuse the values no request or spending can have."""
    if kind not in KINDS:
        raise QuotaError(f"{what}: unknown kind {kind!r} (expected one of {KINDS})")
    if mode not in MODES:
        raise QuotaError(f"{what}: unknown mode {mode!r} (expected one of {MODES})")
    if kind == "extraction" and mode == "priority":
        raise QuotaError(f"{what}: priority mode applies to programming requests only")
    for name, value in (("attempts", attempts), ("scenes", scenes)):
        if not _is_count(value) or value < 0:
            raise QuotaError(f"{what}: {name} must be a whole number ≥ 0: {value!r}")
    if not _is_number(area_km2) or area_km2 < 0:
        raise QuotaError(f"{what}: the area must be a number of km² ≥ 0: {area_km2!r}")


@dataclass(frozen=True)
class Spending:
    """One validated request of the year, as its validation recorded it.

    Programming spends ``attempts``, extraction spends ``scenes``; beyond-quota
    requests are recorded with ``within_quota`` False and spend no rights. ``price``
    is what a beyond-quota request was charged; None means "the agreement's price".
    """

    request_id: str
    kind: Kind
    mode: Mode
    attempts: int
    scenes: int
    area_km2: float
    product_type: str
    validated_on: date
    within_quota: bool
    price: float | None = None

    def __post_init__(self) -> None:
        what = f"spending {self.request_id!r}"
        _check_request(
            what, self.kind, self.mode, self.attempts, self.scenes, self.area_km2
        )
        if not isinstance(self.validated_on, date):
            raise QuotaError(f"{what}: validated_on must be a date")
        if self.price is not None and (not _is_number(self.price) or self.price < 0):
            raise QuotaError(f"{what}: the price must be a number ≥ 0: {self.price!r}")

    @classmethod
    def from_decision(
        cls,
        request_id: str,
        candidate: "Candidate",
        decision: "Decision",
        validated_on: date,
    ) -> "Spending":
        """The spending to record when ``candidate`` is validated with ``decision``."""
        return cls(
            request_id=request_id,
            kind=candidate.kind,
            mode=candidate.mode,
            attempts=candidate.attempts,
            scenes=candidate.scenes,
            area_km2=candidate.area_km2,
            product_type=candidate.product_type,
            validated_on=validated_on,
            within_quota=decision.within_quota,
            price=decision.price,
        )


@dataclass(frozen=True)
class Ledger:
    """What the agreement year has used, as of one day; what the validator sees."""

    year: int
    today: date
    month: str | None
    rights: int
    rights_used: int
    rights_remaining: int
    priority_cap: int
    priority_used: int
    priority_remaining: int
    month_cap: int
    month_used: int
    extraction_rights: int
    extraction_used: int
    extraction_remaining: int
    beyond_quota_count: int
    beyond_quota_spent: float
    by_month: list[tuple[str, int]]

    @classmethod
    def compute(
        cls, agreement: Agreement, spendings: list[Spending], today: date
    ) -> "Ledger":
        """Sum the year's spendings; those dated outside the agreement year are ignored.

        ``month`` is None (and ``month_used`` 0) when ``today`` is outside the year.
        Only within-quota programming counts against the monthly pacing.

        :raises QuotaError: when a request is recorded twice, or a beyond-quota
            spending has no recorded price and no price in the agreement.
        """
        seen: set[str] = set()
        per_month = [0] * 12
        priority_used = extraction_used = beyond_count = 0
        beyond_spent = Decimal(0)
        for spending in spendings:
            # Counting a request twice would spend its rights twice.
            if spending.request_id in seen:
                raise QuotaError(f"request {spending.request_id!r} is recorded twice")
            seen.add(spending.request_id)
            if not agreement.contains(spending.validated_on):
                continue
            if not spending.within_quota:
                beyond_count += 1
                if spending.price is not None:
                    beyond_spent += _cents(_decimal(spending.price))
                else:
                    beyond_spent += agreement._price(
                        spending.product_type, spending.area_km2
                    )
            elif spending.kind == "programming":
                per_month[agreement.month_index(spending.validated_on)] += (
                    spending.attempts
                )
                if spending.mode == "priority":
                    priority_used += spending.attempts
            else:
                extraction_used += spending.scenes
        rights_used = sum(per_month)
        if agreement.contains(today):
            month_index = agreement.month_index(today)
            month = f"{agreement.month_start(month_index):%Y-%m}"
            month_used = per_month[month_index]
        else:
            month, month_used = None, 0
        return cls(
            year=agreement.year,
            today=today,
            month=month,
            rights=agreement.rights,
            rights_used=rights_used,
            rights_remaining=max(agreement.rights - rights_used, 0),
            priority_cap=agreement.priority_cap,
            priority_used=priority_used,
            priority_remaining=max(agreement.priority_cap - priority_used, 0),
            month_cap=agreement.monthly_cap,
            month_used=month_used,
            extraction_rights=agreement.extraction_rights,
            extraction_used=extraction_used,
            extraction_remaining=max(agreement.extraction_rights - extraction_used, 0),
            beyond_quota_count=beyond_count,
            beyond_quota_spent=float(beyond_spent),
            by_month=[
                (f"{agreement.month_start(index):%Y-%m}", attempts)
                for index, attempts in enumerate(per_month)
            ],
        )


@dataclass(frozen=True)
class Candidate:
    """A request to validate: programming counts attempts, extraction scenes."""

    kind: Kind
    mode: Mode
    attempts: int
    scenes: int
    area_km2: float
    product_type: str


@dataclass(frozen=True)
class RuleOutcome:
    """One quota rule applied to a request; a failed blocking rule prices it."""

    rule: str
    passed: bool
    message: str
    blocking: bool


@dataclass(frozen=True)
class Decision:
    """The quota verdict on a request: its category, price and the rules behind it."""

    within_quota: bool
    rules: list[RuleOutcome]
    category: str
    price: float
    warnings_need_reason: bool


def _check_candidate(agreement: Agreement, request: Candidate) -> None:
    """Refuse a request that no validator could mean."""
    _check_request(
        "request",
        request.kind,
        request.mode,
        request.attempts,
        request.scenes,
        request.area_km2,
    )
    if request.kind == "programming":
        count, unit, rights = request.attempts, "attempts", agreement.rights
    else:
        count, unit, rights = request.scenes, "scenes", agreement.extraction_rights
    if count < 1:
        raise QuotaError(f"a {request.kind} request needs at least 1 {unit[:-1]}")
    absurd = max(rights, 1) * ABSURD_FACTOR
    if count > absurd:
        raise QuotaError(
            f"{count:,} {unit} is more than {ABSURD_FACTOR} times the year's rights "
            f"({rights:,} {unit}): check the number"
        )


def _programming_rules(
    agreement: Agreement, ledger: Ledger, request: Candidate
) -> list[RuleOutcome]:
    """Yearly rights, the priority share and the monthly pacing."""
    attempts = request.attempts
    remaining = ledger.rights_remaining
    rules = [
        RuleOutcome(
            rule="yearly-rights",
            passed=attempts <= remaining,
            message=(
                f"Yearly rights: {attempts:,} attempts requested, {remaining:,} of "
                f"{ledger.rights:,} remaining."
                if attempts <= remaining
                else f"Yearly rights exceeded: {attempts:,} attempts requested, only "
                f"{remaining:,} of {ledger.rights:,} remaining."
            ),
            blocking=True,
        )
    ]
    if request.mode == "priority":
        after = ledger.priority_used + attempts
        cap = ledger.priority_cap
        share = _percent(agreement.priority_share)
        rules.append(
            RuleOutcome(
                rule="priority-share",
                passed=after <= cap,
                message=(
                    f"Priority share: {attempts:,} priority attempts would bring the "
                    f"year to {after:,} of {cap:,} ({share} of the yearly rights)."
                    if after <= cap
                    else f"Priority share exceeded: {attempts:,} priority attempts "
                    f"would bring the year to {after:,}, above the cap of {cap:,} "
                    f"({share} of the yearly rights)."
                ),
                blocking=True,
            )
        )
    after = ledger.month_used + attempts
    cap = ledger.month_cap
    share = _percent(agreement.pacing_share)
    rules.append(
        RuleOutcome(
            rule="monthly-pacing",
            passed=after <= cap,
            message=(
                f"Monthly pacing: {ledger.month} would reach {after:,} of {cap:,} "
                f"attempts ({share} of the yearly rights)."
                if after <= cap
                else f"Monthly pacing exceeded: {ledger.month} would reach {after:,} "
                f"attempts, above {cap:,} ({share} of the yearly rights); a written "
                "reason is needed to go ahead."
            ),
            blocking=False,
        )
    )
    return rules


def _extraction_rules(ledger: Ledger, request: Candidate) -> list[RuleOutcome]:
    """The catalogue extraction rights."""
    scenes = request.scenes
    remaining = ledger.extraction_remaining
    return [
        RuleOutcome(
            rule="extraction-rights",
            passed=scenes <= remaining,
            message=(
                f"Extraction rights: {scenes:,} scenes requested, {remaining:,} of "
                f"{ledger.extraction_rights:,} remaining."
                if scenes <= remaining
                else f"Extraction rights exceeded: {scenes:,} scenes requested, only "
                f"{remaining:,} of {ledger.extraction_rights:,} remaining."
            ),
            blocking=True,
        )
    ]


def assess(
    agreement: Agreement, ledger: Ledger, request: Candidate, today: date
) -> Decision:
    """Apply the agreement's rules to ``request`` against the year's ``ledger``.

    A failed blocking rule puts the request beyond the quotas, at the Category 3
    price with the agreement's discount. A failed pacing rule only asks for a
    written reason, and only for a request within the quotas (one beyond them
    spends no rights).

    :raises QuotaError: for an invalid request, a ``today`` outside the agreement
        year, a ledger of another year or month, or a priced request whose product
        type has no price.
    """
    _check_candidate(agreement, request)
    month = agreement.month_label(today)
    if ledger.year != agreement.year or ledger.month != month:
        raise QuotaError(
            f"the ledger is for {ledger.year} month {ledger.month}, the request is "
            f"assessed in {agreement.year} month {month}: compute the ledger for today"
        )
    if request.kind == "programming":
        rules = _programming_rules(agreement, ledger, request)
    else:
        rules = _extraction_rules(ledger, request)
    within_quota = all(rule.passed for rule in rules if rule.blocking)
    if within_quota:
        return Decision(
            within_quota=True,
            rules=rules,
            category=WITHIN_QUOTA,
            price=0.0,
            warnings_need_reason=not all(rule.passed for rule in rules),
        )
    return Decision(
        within_quota=False,
        rules=rules,
        category=agreement.discount_label,
        price=agreement.price(request.product_type, request.area_km2),
        warnings_need_reason=False,
    )
