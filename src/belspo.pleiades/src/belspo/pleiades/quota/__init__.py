"""The agreement's quotas: yearly rights, priority share, monthly pacing, extraction.

Plain Python (no Zope): an ``Agreement`` holds one year's numbers, ``Ledger.compute``
sums the year's ``Spending``s, and ``assess`` applies the rules to a ``Candidate``
request, returning a ``Decision`` (within quota, or Category 3 at a discount).
Unusable input raises ``QuotaError``.
"""

from belspo.pleiades.quota.engine import Agreement
from belspo.pleiades.quota.engine import assess
from belspo.pleiades.quota.engine import Candidate
from belspo.pleiades.quota.engine import Decision
from belspo.pleiades.quota.engine import KINDS
from belspo.pleiades.quota.engine import Ledger
from belspo.pleiades.quota.engine import MODES
from belspo.pleiades.quota.engine import PriceLine
from belspo.pleiades.quota.engine import QuotaError
from belspo.pleiades.quota.engine import RuleOutcome
from belspo.pleiades.quota.engine import Spending
from belspo.pleiades.quota.engine import WITHIN_QUOTA


__all__ = [
    "KINDS",
    "MODES",
    "WITHIN_QUOTA",
    "Agreement",
    "Candidate",
    "Decision",
    "Ledger",
    "PriceLine",
    "QuotaError",
    "RuleOutcome",
    "Spending",
    "assess",
]
