"""The quota engine: the agreement's numbers, the ledger, the rules and the prices."""

from belspo.pleiades.quota import Agreement
from belspo.pleiades.quota import assess
from belspo.pleiades.quota import Candidate
from belspo.pleiades.quota import Ledger
from belspo.pleiades.quota import PriceLine
from belspo.pleiades.quota import QuotaError
from belspo.pleiades.quota import Spending
from belspo.pleiades.quota import WITHIN_QUOTA
from datetime import date
from datetime import timedelta
from decimal import Decimal
from decimal import ROUND_HALF_UP
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from tests.quota.conftest import PRICES

import dataclasses
import math
import pytest


TODAY = date(2026, 7, 10)  # agreement month 2026-07 of the year from 1 March 2026


def spent(
    request_id: str,
    on: date,
    attempts: int = 0,
    scenes: int = 0,
    kind: str = "programming",
    mode: str = "standard",
    within_quota: bool = True,
    area_km2: float = 100.0,
    product_type: str = "PHR_ORTHO",
    price: float | None = None,
) -> Spending:
    """A recorded request, with the defaults of a standard programming."""
    return Spending(
        request_id=request_id,
        kind=kind,
        mode=mode,
        attempts=attempts,
        scenes=scenes,
        area_km2=area_km2,
        product_type=product_type,
        validated_on=on,
        within_quota=within_quota,
        price=price,
    )


def programming(attempts: int, mode: str = "standard", area_km2: float = 100.0):
    """A programming request to assess."""
    return Candidate("programming", mode, attempts, 0, area_km2, "PHR_ORTHO")


def extraction(scenes: int, area_km2: float = 100.0) -> Candidate:
    """A catalogue extraction to assess."""
    return Candidate("extraction", "standard", 0, scenes, area_km2, "PHR_ORTHO")


def rule(decision, rule_id: str):
    """The outcome of one rule in a decision."""
    (outcome,) = [outcome for outcome in decision.rules if outcome.rule == rule_id]
    return outcome


def expected_price(agreement: Agreement, product_type: str, area_km2: float) -> float:
    """The Category 3 formula, written out independently of the engine."""
    line = agreement.prices[product_type]
    amount = (
        max(Decimal(str(area_km2)), Decimal(str(line.minimum_km2)))
        * Decimal(str(line.per_km2))
        * (1 - Decimal(str(agreement.beyond_discount)))
    )
    return float(amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


class TestAgreement:
    def test_design_numbers(self, agreement):
        assert agreement.rights == 5_000
        assert agreement.priority_cap == 500
        assert agreement.monthly_cap == 600
        assert agreement.end == date(2027, 3, 1)

    @pytest.mark.parametrize(
        ("annual_sales", "floor", "expected"),
        [
            (2_000, 150, 150),  # 4 % is 80: the floor wins
            (3_750, 150, 150),  # 4 % is exactly the floor
            (3_775, 150, 151),  # 4 % is 151: the share wins
            (10_000, 150, 400),
            (0, 150, 150),
            (10_000, 0, 400),
        ],
    )
    def test_extraction_rights(self, annual_sales, floor, expected):
        agreement = Agreement(
            year=2026,
            start=date(2026, 3, 1),
            capacity=125_000,
            annual_sales=annual_sales,
            extraction_floor=floor,
        )
        assert agreement.extraction_rights == expected

    @pytest.mark.parametrize(
        ("share", "capacity", "expected"),
        [
            (0.04, 125_000, 5_000),
            (0.29, 100, 29),  # 0.29 * 100 is 28.999999999999996 in floats
            (0.07, 100, 7),
            (0.04, 124_999, 4_999),  # rounded down: never more than agreed
            (0.0, 125_000, 0),
            (1.0, 10, 10),
        ],
    )
    def test_rights_share_of_capacity(self, share, capacity, expected):
        agreement = Agreement(
            year=2026,
            start=date(2026, 3, 1),
            capacity=capacity,
            rights_share=share,
            annual_sales=0,
        )
        assert agreement.rights == expected

    def test_every_number_is_configurable(self):
        agreement = Agreement(
            year=2027,
            start=date(2027, 1, 1),
            capacity=200_000,
            rights_share=0.05,
            priority_share=0.2,
            pacing_share=0.1,
            annual_sales=10_000,
            extraction_share=0.03,
            extraction_floor=100,
            beyond_discount=0.25,
            currency="USD",
        )
        assert agreement.rights == 10_000
        assert agreement.priority_cap == 2_000
        assert agreement.monthly_cap == 1_000
        assert agreement.extraction_rights == 300
        assert agreement.discount_label == "Category 3 -25%"

    def test_price_pairs_become_price_lines(self):
        prices = {"PHR_ORTHO": (10.0, 25.0)}
        agreement = Agreement(
            year=2026, start=date(2026, 3, 1), capacity=1, annual_sales=0, prices=prices
        )
        assert agreement.prices == {"PHR_ORTHO": PriceLine(10.0, 25.0)}
        prices["PHR_ORTHO"] = (99.0, 0.0)  # the agreement keeps its own copy
        assert agreement.prices["PHR_ORTHO"].per_km2 == 10.0

    @pytest.mark.parametrize(
        ("day", "contained"),
        [
            (date(2026, 2, 28), False),
            (date(2026, 3, 1), True),
            (date(2026, 12, 31), True),
            (date(2027, 2, 28), True),
            (date(2027, 3, 1), False),
        ],
    )
    def test_contains(self, agreement, day, contained):
        assert agreement.contains(day) is contained


class TestMonths:
    @pytest.mark.parametrize(
        ("start", "day", "index", "label"),
        [
            (date(2026, 3, 1), date(2026, 3, 1), 0, "2026-03"),
            (date(2026, 3, 1), date(2026, 3, 31), 0, "2026-03"),
            (date(2026, 3, 1), date(2026, 4, 1), 1, "2026-04"),
            (date(2026, 3, 1), date(2027, 1, 15), 10, "2027-01"),
            (date(2026, 3, 1), date(2027, 2, 28), 11, "2027-02"),
            # a start after the 1st: months run from the 15th to the 14th
            (date(2026, 3, 15), date(2026, 4, 14), 0, "2026-03"),
            (date(2026, 3, 15), date(2026, 4, 15), 1, "2026-04"),
            (date(2026, 3, 15), date(2027, 3, 14), 11, "2027-02"),
            # a start on the 31st: a short month ends on its last day
            (date(2026, 1, 31), date(2026, 2, 27), 0, "2026-01"),
            (date(2026, 1, 31), date(2026, 2, 28), 1, "2026-02"),
            (date(2026, 1, 31), date(2026, 3, 30), 1, "2026-02"),
            (date(2026, 1, 31), date(2026, 3, 31), 2, "2026-03"),
        ],
    )
    def test_agreement_month(self, start, day, index, label):
        agreement = Agreement(year=start.year, start=start, capacity=1, annual_sales=0)
        assert agreement.month_index(day) == index
        assert agreement.month_label(day) == label

    def test_outside_the_year_has_no_month(self, agreement):
        with pytest.raises(QuotaError, match="outside the agreement year 2026"):
            agreement.month_index(date(2027, 3, 1))

    def test_by_month_follows_the_agreement_year(self, agreement):
        spendings = [
            spent("a", date(2026, 3, 1), attempts=10),
            spent("b", date(2026, 3, 31), attempts=5),
            spent("c", date(2027, 2, 28), attempts=7),
            spent("d", date(2027, 3, 1), attempts=1000),  # next year: not counted
            spent("e", date(2026, 2, 28), attempts=1000),  # last year: not counted
        ]
        ledger = Ledger.compute(agreement, spendings, date(2026, 3, 15))
        assert ledger.by_month[0] == ("2026-03", 15)
        assert ledger.by_month[10] == ("2027-01", 0)
        assert ledger.by_month[11] == ("2027-02", 7)
        assert len(ledger.by_month) == 12
        assert ledger.rights_used == 22
        assert ledger.month == "2026-03"
        assert ledger.month_used == 15

    def test_today_outside_the_year(self, agreement):
        ledger = Ledger.compute(agreement, [], date(2027, 3, 1))
        assert ledger.month is None
        assert ledger.month_used == 0


class TestLedger:
    def test_empty(self, agreement):
        ledger = Ledger.compute(agreement, [], TODAY)
        assert ledger.rights_remaining == 5_000
        assert ledger.priority_remaining == 500
        assert ledger.month_cap == 600
        assert ledger.extraction_remaining == 150
        assert ledger.beyond_quota_count == 0
        assert ledger.beyond_quota_spent == 0.0

    def test_what_counts_where(self, agreement):
        spendings = [
            spent("standard", date(2026, 3, 5), attempts=100),
            spent("priority", date(2026, 7, 1), attempts=30, mode="priority"),
            spent("this month", date(2026, 7, 9), attempts=20),
            spent("extraction", date(2026, 4, 1), scenes=12, kind="extraction"),
            # beyond the quotas: priced, spends no rights
            spent("paid", date(2026, 7, 2), attempts=400, within_quota=False),
            spent(
                "paid extraction",
                date(2026, 5, 1),
                scenes=3,
                kind="extraction",
                within_quota=False,
                price=1234.565,
            ),
        ]
        ledger = Ledger.compute(agreement, spendings, TODAY)
        assert ledger.rights_used == 150
        assert ledger.rights_remaining == 4_850
        assert ledger.priority_used == 30
        assert ledger.priority_remaining == 470
        assert ledger.month_used == 50
        assert ledger.extraction_used == 12
        assert ledger.extraction_remaining == 138
        assert ledger.beyond_quota_count == 2
        # 100 km² of PHR_ORTHO at 10 EUR less 20 %, plus the recorded price in cents
        assert ledger.beyond_quota_spent == 800.0 + 1234.57

    def test_remaining_is_never_negative(self, agreement):
        spendings = [
            spent("big", date(2026, 3, 5), attempts=6_000, mode="priority"),
            spent("many", date(2026, 3, 5), scenes=200, kind="extraction"),
        ]
        ledger = Ledger.compute(agreement, spendings, TODAY)
        assert ledger.rights_used == 6_000
        assert ledger.rights_remaining == 0
        assert ledger.priority_remaining == 0
        assert ledger.extraction_remaining == 0

    def test_a_request_recorded_twice(self, agreement):
        spendings = [
            spent("same", date(2026, 3, 5), attempts=1),
            spent("same", date(2026, 4, 5), attempts=1),
        ]
        with pytest.raises(QuotaError, match="'same' is recorded twice"):
            Ledger.compute(agreement, spendings, TODAY)

    def test_unpriced_beyond_spending_of_an_unknown_type(self, agreement):
        spendings = [
            spent("x", date(2026, 3, 5), attempts=1, within_quota=False),
            spent(
                "y", date(2026, 3, 5), attempts=1, within_quota=False, product_type="?"
            ),
        ]
        with pytest.raises(QuotaError, match="no Category 3 price for product type"):
            Ledger.compute(agreement, spendings, TODAY)


class TestRules:
    @pytest.mark.parametrize(
        ("attempts", "passed"), [(1, True), (100, True), (101, False), (1_000, False)]
    )
    def test_yearly_rights(self, agreement, attempts, passed):
        # 4 900 of 5 000 used in earlier months: 100 remain, this month is empty.
        spendings = [
            spent(f"r{month}", date(2026, 3 + month, 1), attempts=1_225)
            for month in range(4)
        ]
        ledger = Ledger.compute(agreement, spendings, TODAY)
        decision = assess(agreement, ledger, programming(attempts), TODAY)
        outcome = rule(decision, "yearly-rights")
        assert outcome.passed is passed
        assert outcome.blocking
        assert "of 5,000 remaining" in outcome.message
        assert "100" in outcome.message
        assert decision.within_quota is passed
        assert decision.category == (WITHIN_QUOTA if passed else "Category 3 -20%")
        assert decision.price == (0.0 if passed else 800.0)
        assert [r.rule for r in decision.rules] == ["yearly-rights", "monthly-pacing"]

    @pytest.mark.parametrize(
        ("attempts", "passed"), [(1, True), (50, True), (51, False), (400, False)]
    )
    def test_priority_share(self, agreement, attempts, passed):
        spendings = [spent("p", date(2026, 3, 2), attempts=450, mode="priority")]
        ledger = Ledger.compute(agreement, spendings, TODAY)
        decision = assess(agreement, ledger, programming(attempts, "priority"), TODAY)
        outcome = rule(decision, "priority-share")
        assert outcome.passed is passed
        assert outcome.blocking
        assert f"{450 + attempts:,}" in outcome.message
        assert "500" in outcome.message
        assert "10%" in outcome.message
        assert rule(decision, "yearly-rights").passed
        assert decision.within_quota is passed
        assert decision.price == (0.0 if passed else 800.0)

    def test_standard_mode_ignores_the_priority_share(self, agreement):
        spendings = [spent("p", date(2026, 3, 2), attempts=500, mode="priority")]
        ledger = Ledger.compute(agreement, spendings, TODAY)
        decision = assess(agreement, ledger, programming(10), TODAY)
        assert decision.within_quota
        assert "priority-share" not in [r.rule for r in decision.rules]

    @pytest.mark.parametrize(
        ("attempts", "passed"), [(1, True), (50, True), (51, False), (500, False)]
    )
    def test_monthly_pacing_is_a_warning(self, agreement, attempts, passed):
        spendings = [
            spent("m", date(2026, 7, 1), attempts=550),
            spent("earlier", date(2026, 6, 30), attempts=590),  # another month
        ]
        ledger = Ledger.compute(agreement, spendings, TODAY)
        decision = assess(agreement, ledger, programming(attempts), TODAY)
        outcome = rule(decision, "monthly-pacing")
        assert outcome.passed is passed
        assert not outcome.blocking
        assert "2026-07" in outcome.message
        assert f"{550 + attempts:,}" in outcome.message
        assert "600" in outcome.message
        assert ("reason" in outcome.message) is not passed
        # a warning never prices the request: it asks for a reason instead
        assert decision.within_quota
        assert decision.category == WITHIN_QUOTA
        assert decision.price == 0.0
        assert decision.warnings_need_reason is not passed

    def test_a_priced_request_needs_no_pacing_reason(self, agreement):
        spendings = [spent("m", date(2026, 7, 1), attempts=5_000)]
        ledger = Ledger.compute(agreement, spendings, TODAY)
        decision = assess(agreement, ledger, programming(10), TODAY)
        assert not decision.within_quota
        assert not rule(decision, "monthly-pacing").passed
        assert not decision.warnings_need_reason

    @pytest.mark.parametrize(
        ("scenes", "passed"), [(1, True), (10, True), (11, False), (100, False)]
    )
    def test_extraction_rights(self, agreement, scenes, passed):
        spendings = [spent("e", date(2026, 3, 2), scenes=140, kind="extraction")]
        ledger = Ledger.compute(agreement, spendings, TODAY)
        decision = assess(agreement, ledger, extraction(scenes), TODAY)
        outcome = rule(decision, "extraction-rights")
        assert outcome.passed is passed
        assert outcome.blocking
        assert "of 150 remaining" in outcome.message
        assert [r.rule for r in decision.rules] == ["extraction-rights"]
        assert decision.within_quota is passed
        assert decision.price == (0.0 if passed else 800.0)

    def test_extraction_does_not_spend_programming_rights(self, agreement):
        spendings = [spent("p", date(2026, 3, 2), attempts=5_000)]
        ledger = Ledger.compute(agreement, spendings, TODAY)
        assert assess(agreement, ledger, extraction(150), TODAY).within_quota


class TestPrices:
    @pytest.mark.parametrize(
        ("product_type", "area_km2", "discount", "price", "category"),
        [
            ("PHR_ORTHO", 100.0, 0.20, 800.0, "Category 3 -20%"),
            ("PHR_ORTHO", 10.0, 0.20, 200.0, "Category 3 -20%"),  # minimum 25 km²
            ("PHR_ORTHO", 0.0, 0.20, 200.0, "Category 3 -20%"),
            ("PHR_ORTHO", 25.0, 0.20, 200.0, "Category 3 -20%"),
            ("PHR_ORTHO", 25.5, 0.20, 204.0, "Category 3 -20%"),
            ("PHR_PRIMARY", 50.0, 0.20, 600.0, "Category 3 -20%"),  # minimum 100
            ("PHR_ORTHO", 100.0, 0.25, 750.0, "Category 3 -25%"),
            ("PHR_ORTHO", 100.0, 0.0, 1000.0, "Category 3 -0%"),
            ("PHR_ORTHO", 100.0, 0.125, 875.0, "Category 3 -12.5%"),
            ("PHR_ORTHO", 33.333, 0.20, 266.66, "Category 3 -20%"),  # 266.664
            ("PHR_ORTHO", 33.3331875, 0.20, 266.67, "Category 3 -20%"),  # 266.6655
        ],
    )
    def test_category_3(self, product_type, area_km2, discount, price, category):
        agreement = Agreement(
            year=2026,
            start=date(2026, 3, 1),
            capacity=0,  # no rights: every programming request is priced
            annual_sales=0,
            beyond_discount=discount,
            prices=PRICES,
        )
        ledger = Ledger.compute(agreement, [], TODAY)
        request = Candidate("programming", "standard", 1, 0, area_km2, product_type)
        decision = assess(agreement, ledger, request, TODAY)
        assert not decision.within_quota
        assert decision.category == category
        assert decision.price == price
        assert agreement.price(product_type, area_km2) == price

    def test_unknown_product_type_when_priced(self, agreement):
        ledger = Ledger.compute(agreement, [], TODAY)
        request = Candidate("programming", "standard", 6_000, 0, 10.0, "SPOT_ORTHO")
        with pytest.raises(QuotaError) as raised:
            assess(agreement, ledger, request, TODAY)
        assert "'SPOT_ORTHO'" in str(raised.value)
        assert "PHR_ORTHO, PHR_PRIMARY" in str(raised.value)

    def test_unknown_product_type_within_quota_is_free(self, agreement):
        ledger = Ledger.compute(agreement, [], TODAY)
        request = Candidate("programming", "standard", 10, 0, 10.0, "SPOT_ORTHO")
        assert assess(agreement, ledger, request, TODAY).price == 0.0


class TestBadInput:
    @pytest.mark.parametrize(
        ("request_", "message"),
        [
            (programming(0), "at least 1 attempt"),
            (programming(-1), "attempts must be a whole number ≥ 0"),
            (programming(50_001), "more than 10 times the year's rights"),
            (programming(2.5), "attempts must be a whole number"),
            (programming(10, area_km2=-1.0), "area must be a number of km² ≥ 0"),
            (programming(10, area_km2=math.nan), "area must be a number of km² ≥ 0"),
            (extraction(0), "at least 1 scene"),
            (extraction(-3), "scenes must be a whole number ≥ 0"),
            (extraction(1_501), "more than 10 times the year's rights"),
            (Candidate("tasking", "standard", 1, 0, 1.0, "PHR_ORTHO"), "unknown kind"),
            (
                Candidate("programming", "urgent", 1, 0, 1.0, "PHR_ORTHO"),
                "unknown mode",
            ),
            (
                Candidate("extraction", "priority", 0, 1, 1.0, "PHR_ORTHO"),
                "priority mode applies to programming requests only",
            ),
        ],
    )
    def test_invalid_request(self, agreement, request_, message):
        ledger = Ledger.compute(agreement, [], TODAY)
        with pytest.raises(QuotaError, match=message):
            assess(agreement, ledger, request_, TODAY)

    def test_absurd_is_at_the_boundary(self, agreement):
        ledger = Ledger.compute(agreement, [], TODAY)
        assert not assess(agreement, ledger, programming(50_000), TODAY).within_quota

    def test_quota_error_is_a_value_error(self):
        assert issubclass(QuotaError, ValueError)

    def test_today_outside_the_agreement_year(self, agreement):
        ledger = Ledger.compute(agreement, [], TODAY)
        with pytest.raises(QuotaError, match="outside the agreement year"):
            assess(agreement, ledger, programming(1), date(2027, 3, 1))

    def test_ledger_of_another_month(self, agreement):
        ledger = Ledger.compute(agreement, [], date(2026, 6, 30))
        with pytest.raises(QuotaError, match="compute the ledger for today"):
            assess(agreement, ledger, programming(1), TODAY)

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"capacity": -1}, "capacity must be a whole number ≥ 0"),
            ({"capacity": 1.5}, "capacity must be a whole number ≥ 0"),
            ({"annual_sales": -1}, "annual_sales must be a whole number ≥ 0"),
            ({"rights_share": 1.5}, "rights_share must be between 0 and 1"),
            ({"pacing_share": -0.1}, "pacing_share must be between 0 and 1"),
            ({"beyond_discount": math.inf}, "beyond_discount must be between 0 and 1"),
            ({"start": "2026-03-01"}, "start must be a date"),
            ({"prices": {"PHR_ORTHO": (1.0,)}}, "price per km², minimum km²"),
            ({"prices": {"PHR_ORTHO": (-1.0, 0)}}, "per_km2 must be a number ≥ 0"),
        ],
    )
    def test_invalid_agreement(self, agreement, changes, message):
        fields = {
            f.name: getattr(agreement, f.name) for f in dataclasses.fields(agreement)
        }
        with pytest.raises(QuotaError, match=message):
            Agreement(**{**fields, **changes})

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"kind": "other"}, "unknown kind"),
            ({"mode": "other"}, "unknown mode"),
            ({"attempts": -1}, "attempts must be a whole number ≥ 0"),
            ({"area_km2": -0.5}, "area must be a number"),
            ({"price": -1.0}, "price must be a number ≥ 0"),
            ({"on": "2026-03-01"}, "validated_on must be a date"),
        ],
    )
    def test_invalid_spending(self, changes, message):
        with pytest.raises(QuotaError, match=message):
            spent(**{"request_id": "bad", "on": date(2026, 3, 1), **changes})


# Property tests: random agreements and years of requests.

START = date(2026, 3, 1)
END = date(2027, 3, 1)

shares = st.floats(min_value=0, max_value=1, allow_nan=False)

agreements = st.builds(
    Agreement,
    year=st.just(2026),
    start=st.just(START),
    capacity=st.integers(min_value=0, max_value=200_000),
    rights_share=shares,
    priority_share=shares,
    pacing_share=shares,
    annual_sales=st.integers(min_value=0, max_value=100_000),
    extraction_share=shares,
    extraction_floor=st.integers(min_value=0, max_value=500),
    beyond_discount=shares,
    prices=st.just(PRICES),
)

product_types = st.sampled_from(sorted(PRICES))
areas = st.floats(min_value=0, max_value=10_000, allow_nan=False)
# a little before and after the agreement year, to show those days are ignored
days = st.dates(
    min_value=START - timedelta(days=40), max_value=END + timedelta(days=40)
)
year_days = st.dates(min_value=START, max_value=END - timedelta(days=1))


@st.composite
def spendings(draw, min_size: int = 0) -> list[Spending]:
    """Recorded requests with distinct ids."""
    count = draw(st.integers(min_value=min_size, max_value=25))
    result = []
    for number in range(count):
        kind = draw(st.sampled_from(["programming", "extraction"]))
        result.append(
            Spending(
                request_id=f"r{number}",
                kind=kind,
                mode=(
                    draw(st.sampled_from(["standard", "priority"]))
                    if kind == "programming"
                    else "standard"
                ),
                attempts=draw(st.integers(min_value=0, max_value=3_000)),
                scenes=draw(st.integers(min_value=0, max_value=300)),
                area_km2=draw(areas),
                product_type=draw(product_types),
                validated_on=draw(days),
                within_quota=draw(st.booleans()),
                price=draw(
                    st.none() | st.floats(min_value=0, max_value=1e6, allow_nan=False)
                ),
            )
        )
    return result


def totals(ledger: Ledger) -> dict[str, float]:
    """The ledger's numbers that only ever grow with the spendings."""
    return {
        "rights_used": ledger.rights_used,
        "priority_used": ledger.priority_used,
        "month_used": ledger.month_used,
        "extraction_used": ledger.extraction_used,
        "beyond_quota_count": ledger.beyond_quota_count,
        "beyond_quota_spent": ledger.beyond_quota_spent,
    }


@given(agreement=agreements, recorded=spendings(), today=days)
def test_totals_are_never_negative(agreement, recorded, today):
    ledger = Ledger.compute(agreement, recorded, today)
    for name, value in dataclasses.asdict(ledger).items():
        if isinstance(value, int | float):
            assert value >= 0, name
    assert all(attempts >= 0 for _, attempts in ledger.by_month)
    assert ledger.rights_remaining == max(ledger.rights - ledger.rights_used, 0)


@given(agreement=agreements, recorded=spendings(), today=days, data=st.data())
def test_order_does_not_change_the_ledger(agreement, recorded, today, data):
    shuffled = data.draw(st.permutations(recorded))
    assert Ledger.compute(agreement, shuffled, today) == Ledger.compute(
        agreement, recorded, today
    )


@given(agreement=agreements, recorded=spendings(min_size=1), today=days)
def test_adding_a_spending_never_decreases_the_totals(agreement, recorded, today):
    before = totals(Ledger.compute(agreement, recorded[:-1], today))
    after = totals(Ledger.compute(agreement, recorded, today))
    for name, value in before.items():
        assert after[name] >= value, name


def sizes(most: int, edges: list[int]) -> st.SearchStrategy[int]:
    """Request sizes from 1 to ``most``, often right at or just past a limit."""
    edges = [edge for edge in edges if 1 <= edge <= most]
    random = st.integers(min_value=1, max_value=most)
    return st.one_of(random, st.sampled_from(edges)) if edges else random


@st.composite
def candidates(draw, agreement: Agreement, ledger: Ledger) -> Candidate:
    """A valid request for ``agreement``, sized around what ``ledger`` has left."""
    kind = draw(st.sampled_from(["programming", "extraction"]))
    if kind == "programming":
        most = min(max(agreement.rights, 1) * 10, 3_000)
        edges = [ledger.rights_remaining, ledger.priority_remaining]
        attempts = draw(sizes(most, edges + [edge + 1 for edge in edges]))
        mode = draw(st.sampled_from(["standard", "priority"]))
        scenes = 0
    else:
        most = min(max(agreement.extraction_rights, 1) * 10, 300)
        edge = ledger.extraction_remaining
        scenes = draw(sizes(most, [edge, edge + 1]))
        mode, attempts = "standard", 0
    return Candidate(kind, mode, attempts, scenes, draw(areas), draw(product_types))


@settings(max_examples=60)
@given(agreement=agreements, data=st.data())
def test_greedy_validation_stays_within_the_quotas(agreement, data):
    count = data.draw(st.integers(min_value=1, max_value=30))
    dates = sorted(data.draw(st.lists(year_days, min_size=count, max_size=count)))
    recorded: list[Spending] = []
    for number, today in enumerate(dates):
        ledger = Ledger.compute(agreement, recorded, today)
        request = data.draw(candidates(agreement, ledger))
        decision = assess(agreement, ledger, request, today)
        if decision.within_quota:
            assert decision.price == 0.0
            assert decision.category == WITHIN_QUOTA
        else:
            expected = expected_price(agreement, request.product_type, request.area_km2)
            assert decision.price >= 0
            assert decision.price == expected
            assert decision.category == agreement.discount_label
            assert not decision.warnings_need_reason
        recorded.append(Spending.from_decision(f"r{number}", request, decision, today))
        ledger = Ledger.compute(agreement, recorded, today)
        assert ledger.rights_used <= agreement.rights
        assert ledger.priority_used <= agreement.priority_cap
        assert ledger.extraction_used <= agreement.extraction_rights
