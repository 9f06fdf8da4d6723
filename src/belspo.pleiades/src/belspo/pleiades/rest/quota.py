"""``GET <portal>/@quota?year=2026``: the agreement year's numbers and ledger.

Without ``year``, the year of today. An unknown year is a 400 with the years
there are.
"""

from belspo.pleiades.quota import config
from belspo.pleiades.quota import service
from belspo.pleiades.quota.engine import QuotaError
from dataclasses import asdict
from datetime import date
from plone.restapi.services import Service


def agreement_json(agreement) -> dict:
    return {
        "year": agreement.year,
        "start": agreement.start.isoformat(),
        "end": agreement.end.isoformat(),
        "capacity": agreement.capacity,
        "rights_share": agreement.rights_share,
        "priority_share": agreement.priority_share,
        "pacing_share": agreement.pacing_share,
        "annual_sales": agreement.annual_sales,
        "extraction_share": agreement.extraction_share,
        "extraction_floor": agreement.extraction_floor,
        "beyond_discount": agreement.beyond_discount,
        "currency": agreement.currency,
        "prices": {
            kind: {"per_km2": line.per_km2, "minimum_km2": line.minimum_km2}
            for kind, line in agreement.prices.items()
        },
        "rights": agreement.rights,
        "priority_cap": agreement.priority_cap,
        "monthly_cap": agreement.monthly_cap,
        "extraction_rights": agreement.extraction_rights,
    }


class QuotaGet(Service):
    def reply(self):
        years = config.years()
        asked = self.request.form.get("year")
        today = date.today()
        if asked is None:
            year = config.year_of(today)
        else:
            year = int(asked) if str(asked).isdigit() else None
        if year not in years:
            self.request.response.setStatus(400)
            return {
                "error": {
                    "type": "BadRequest",
                    "message": (
                        f"no agreement year {asked or today.year}; "
                        f"configured years: {years}"
                    ),
                }
            }
        try:
            agreement = config.agreement(year)
            ledger = service.ledger(year, today)
            decisions = service.recorded(year)
        except QuotaError as error:
            self.request.response.setStatus(400)
            return {"error": {"type": "BadRequest", "message": str(error)}}
        figures = asdict(ledger)
        figures["today"] = ledger.today.isoformat()
        figures["by_month"] = [
            {"month": month, "attempts": attempts}
            for month, attempts in ledger.by_month
        ]
        return {
            "@id": f"{self.context.absolute_url()}/@quota?year={year}",
            "years": years,
            "agreement": agreement_json(agreement),
            "ledger": figures,
            "decisions": decisions,
        }
