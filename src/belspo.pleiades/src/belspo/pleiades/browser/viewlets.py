"""Viewlets shown on every page of the portal."""

from plone.app.layout.viewlets import ViewletBase


class ColophonViewlet(ViewletBase):
    """Who runs the portal and under which agreement, in the footer."""
