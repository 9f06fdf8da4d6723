"""What the catalog indexes and keeps of our types, so listings never wake objects.

Cloud cover and incidence angle are indexed to 0.1: a range query then unions a
few hundred sets instead of one per distinct float, which keeps it fast at a
million products.
"""

from belspo.pleiades.content.acquisition_request import IAcquisitionRequest
from belspo.pleiades.content.product import IProduct
from DateTime import DateTime
from datetime import datetime
from datetime import UTC
from plone.indexer import indexer


def as_utc(value: datetime | None) -> DateTime:
    """A stored datetime (naive means UTC) as the DateTime the catalog wants."""
    if value is None:
        raise AttributeError("no date")
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return DateTime(value.astimezone(UTC))


def _tenths(value: float | None) -> float:
    if value is None:
        raise AttributeError("no value")
    return round(value, 1)


@indexer(IProduct)
def acquisition_date(obj) -> DateTime:
    return as_utc(obj.acquisition_date)


@indexer(IProduct)
def cloud_cover(obj) -> float:
    return _tenths(obj.cloud_cover)


@indexer(IProduct)
def incidence_angle(obj) -> float:
    return _tenths(obj.incidence_angle)


@indexer(IAcquisitionRequest)
def request_kind(obj) -> str:
    return obj.kind


@indexer(IProduct)
def needs_attention(obj) -> bool:
    """Products the ingest flagged for the operator (an unknown request...)."""
    return bool(getattr(obj, "ingest_warnings", None))


@indexer(IAcquisitionRequest)
def distributor_reference(obj) -> str:
    if not obj.distributor_reference:
        raise AttributeError("distributor_reference")
    return obj.distributor_reference.strip()


@indexer(IAcquisitionRequest)
def agreement_year(obj) -> int:
    decision = getattr(obj, "quota_decision", None)
    if not decision:
        raise AttributeError("agreement_year")  # not validated: not indexed
    return decision["year"]
