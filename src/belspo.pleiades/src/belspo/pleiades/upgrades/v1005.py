"""1004 -> 1005: API tokens that ``@logout`` ends."""

from belspo.pleiades.rest.tokens import keep_issued_tokens
from plone import api


def keep_tokens(setup):
    """Keep the tokens ``@login`` issues, so that ``@logout`` can end them."""
    keep_issued_tokens(api.portal.get())
