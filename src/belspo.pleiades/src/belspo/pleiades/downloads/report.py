"""Totals of download records, per user group and per month (plain Python).

A record names the active user groups its user belonged to when downloading
(``groups``): a download counts for each of them; staff, who download without a
group, count under the empty group ``""``.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field


@dataclass
class Totals:
    """What a set of download records adds up to."""

    downloads: int = 0  # responses that sent the package or a range of it
    complete: int = 0  # of which every byte promised was sent
    bytes: int = 0
    users: set[str] = field(default_factory=set)
    products: set[str] = field(default_factory=set)

    def add(self, record: dict) -> None:
        self.downloads += 1
        self.complete += bool(record.get("complete"))
        self.bytes += int(record.get("bytes") or 0)
        self.users.add(record.get("user") or "")
        self.products.add(record.get("product_uid") or "")


@dataclass
class Summary:
    """All records' totals, per user group (by id) and per month (``YYYY-MM``)."""

    total: Totals = field(default_factory=Totals)
    groups: dict[str, Totals] = field(default_factory=dict)
    months: dict[str, Totals] = field(default_factory=dict)


def summarise(records: Iterable[dict]) -> Summary:
    """Add the records up, in one pass."""
    summary = Summary()
    for record in records:
        summary.total.add(record)
        summary.months.setdefault(record["time"][:7], Totals()).add(record)
        for group in record.get("groups") or [""]:
            summary.groups.setdefault(group, Totals()).add(record)
    return summary
