"""Viewlets of the portal's pages."""

from belspo.pleiades.quota import service
from plone import api
from plone.app.layout.viewlets import ViewletBase


class ColophonViewlet(ViewletBase):
    """Who runs the portal and under which agreement, in the footer."""


class QuotaDecisionViewlet(ViewletBase):
    """On a request: its recorded quota decision, and the way to decide on it."""

    def decision(self) -> dict | None:
        return self.context.quota_decision

    def category(self):
        return service.category_title(self.context.quota_decision["category"])

    def can_review(self) -> bool:
        return api.content.get_state(
            self.context
        ) == "submitted" and api.user.has_permission(
            "belspo.pleiades: View quota", obj=self.context
        )
