"""The quota engine applied to the portal's requests.

Validating a request records its decision on the request, once (the request
never comes back to ``submitted``), and counts it in the ledger for as long as
the request is ``validated``, ``programmed`` or ``acquired``. The ledger reads
the decisions from the catalog (metadata ``quota_decision``), never the objects.

Two validators deciding at the same moment each compute the ledger without the
other's decision. Every validation therefore also writes one shared object, the
``QuotaBook``: the second commit conflicts, Zope retries it, and the retry sees
the first decision. If the retry's verdict differs from the one the validator
was shown (``expected``), the validation is refused and nothing is recorded.
"""

from belspo.pleiades import _
from belspo.pleiades.geo.area import area_km2
from belspo.pleiades.quota import config
from belspo.pleiades.quota.engine import assess
from belspo.pleiades.quota.engine import Candidate
from belspo.pleiades.quota.engine import Decision
from belspo.pleiades.quota.engine import Ledger
from belspo.pleiades.quota.engine import QuotaError
from belspo.pleiades.quota.engine import Spending
from belspo.pleiades.quota.engine import WITHIN_QUOTA
from dataclasses import asdict
from datetime import date
from datetime import datetime
from persistent import Persistent
from plone import api
from zope.annotation.interfaces import IAnnotations

import re


COUNTED_STATES = ("validated", "programmed", "acquired")
BOOK_KEY = "belspo.pleiades.quota"


class ReasonNeeded(QuotaError):
    """The monthly pacing cap is passed and the validator gave no reason."""


class QuotasChanged(QuotaError):
    """The verdict at commit is not the one the validator was shown."""

    def __init__(self, category: str, price: float, currency: str):
        super().__init__(
            "the quotas changed while you were deciding (another request was "
            f"validated): the request is now {category}, priced {price:.2f} "
            f"{currency}; review it again"
        )
        self.category, self.price, self.currency = category, price, currency


class QuotaBook(Persistent):
    """Written by every validation, so that concurrent validations conflict."""

    validations = 0


def category_title(category: str):
    """The recorded pricing category, in the reader's language."""
    if category == WITHIN_QUOTA:
        return _("within quota")
    match = re.fullmatch(r"Category 3 -(\S+)", category or "")
    if match:
        return _("Category 3 -${discount}", mapping={"discount": match.group(1)})
    return category


def book() -> QuotaBook:
    annotations = IAnnotations(api.portal.get())
    if BOOK_KEY not in annotations:
        annotations[BOOK_KEY] = QuotaBook()
    return annotations[BOOK_KEY]


def product_type(request) -> str:
    """The line of the price list a request is priced on."""
    if request.kind == "extraction":
        return "archive"
    return "priority-tasking" if request.priority_mode == "priority" else "tasking"


def scenes_area(names) -> float:
    """The area of the listed scenes the archive holds; unknown ones count 0."""
    if not names:
        return 0.0
    catalog = api.portal.get_tool("portal_catalog")
    brains = catalog.unrestrictedSearchResults(
        portal_type="Product", dataset_name=list(names)
    )
    return sum(area_km2(brain.footprint) for brain in brains if brain.footprint)


def candidate(request) -> Candidate:
    """The request as the engine sees it."""
    if request.kind == "extraction":
        names = [name for name in request.scenes or [] if name.strip()]
        return Candidate(
            kind="extraction",
            mode="standard",
            attempts=0,
            scenes=len(names),
            area_km2=round(scenes_area(names), 3),
            product_type="archive",
        )
    footprint = request.footprint
    return Candidate(
        kind="programming",
        mode=request.priority_mode or "standard",
        attempts=request.estimated_attempts or 0,
        scenes=0,
        area_km2=round(area_km2(footprint), 3) if footprint else 0.0,
        product_type=product_type(request),
    )


def recorded(year: int) -> list[dict]:
    """The decisions counted in ``year``: one dict per request, with its facts."""
    catalog = api.portal.get_tool("portal_catalog")
    rows = []
    for brain in catalog.unrestrictedSearchResults(
        portal_type="AcquisitionRequest",
        agreement_year=year,
        review_state=COUNTED_STATES,
        sort_on="created",
    ):
        decision = brain.quota_decision
        if decision:
            rows.append(
                {
                    **decision,
                    "request_id": brain.getId,
                    "uid": brain.UID,
                    "title": brain.Title,
                    "url": brain.getURL(),
                    "review_state": brain.review_state,
                    "user_group": brain.user_group or None,
                    "distributor_reference": brain.distributor_reference or None,
                }
            )
    return rows


def spending(row: dict) -> Spending:
    return Spending(
        request_id=row["uid"],
        kind=row["kind"],
        mode=row["mode"],
        attempts=row["attempts"],
        scenes=row["scenes"],
        area_km2=row["area_km2"],
        product_type=row["product_type"],
        validated_on=date.fromisoformat(row["date"][:10]),
        within_quota=row["within_quota"],
        price=row["price"],
    )


def ledger(year: int, today: date | None = None) -> Ledger:
    """What ``year`` has used, as of ``today``."""
    agreement = config.agreement(year)
    return Ledger.compute(
        agreement, [spending(row) for row in recorded(year)], today or date.today()
    )


def assessment(request, today: date | None = None):
    """``(agreement, ledger, candidate, decision)`` for ``request`` today.

    :raises QuotaError: when no agreement year covers today, or the request is
        one the engine refuses (no attempts, an absurd number, an unpriced type).
    """
    today = today or date.today()
    year = config.year_of(today)
    if year is None:
        raise QuotaError(
            f"no agreement year covers {today}: an administrator opens it in the "
            "agreement's control panel"
        )
    agreement = config.agreement(year)
    current = ledger(year, today)
    wanted = candidate(request)
    return agreement, current, wanted, assess(agreement, current, wanted, today)


def describe(decision: Decision) -> dict:
    """What a validator is shown, to compare with the verdict at commit."""
    return {"category": decision.category, "price": decision.price}


def validate(request, reason: str, expected: dict | None = None) -> dict:
    """Decide on ``request`` against the quotas and record the decision on it.

    :raises QuotaError: with the reason the validation cannot go ahead: the
        pacing cap passed without a written reason, or a verdict different from
        the ``expected`` one the validator decided on.
    """
    if getattr(request, "quota_decision", None):
        raise QuotaError("this request's validation is recorded already")
    agreement, current, wanted, decision = assessment(request)
    reason = (reason or "").strip()
    if decision.warnings_need_reason and not reason:
        raise ReasonNeeded(
            "this request goes beyond the monthly pacing cap: give the reason to "
            "go ahead in the comment"
        )
    if expected is not None and describe(decision) != expected:
        raise QuotasChanged(decision.category, decision.price, agreement.currency)
    user = api.user.get_current()
    record = {
        "year": agreement.year,
        "category": decision.category,
        "within_quota": decision.within_quota,
        "price": decision.price,
        "currency": agreement.currency,
        "rules": [asdict(rule) for rule in decision.rules],
        "reason": reason,
        "validator": user.getId(),
        "validator_name": user.getProperty("fullname", "") or user.getId(),
        "date": datetime.now().astimezone().isoformat(timespec="seconds"),
        **asdict(wanted),
        "ledger": {
            name: getattr(current, name)
            for name in (
                "month",
                "rights",
                "rights_remaining",
                "priority_cap",
                "priority_used",
                "month_cap",
                "month_used",
                "extraction_rights",
                "extraction_remaining",
            )
        },
    }
    request.quota_decision = record
    request.reindexObject(idxs=["agreement_year"])
    book().validations += 1  # the conflict that serialises validations
    return record
