"""Workflow changes from the Classic UI, with refusals shown as messages."""

from plone.app.content.browser.content_status_modify import (
    ContentStatusModifyView as BaseView,
)
from Products.CMFCore.WorkflowCore import WorkflowException
from Products.statusmessages.interfaces import IStatusMessage

import transaction


class ContentStatusModifyView(BaseView):
    """Like Plone's, but a refused transition returns to the form with the reason."""

    def __call__(self, workflow_action=None, comment="", **kwargs):
        try:
            return super().__call__(workflow_action, comment, **kwargs)
        except WorkflowException as refusal:
            # Nothing of the attempt is kept, not even the effective date set
            # before the transition ran.
            transaction.doom()
            IStatusMessage(self.request).add(str(refusal), type="error")
            url = f"{self.context.absolute_url()}/content_status_history"
            return self.request.response.redirect(
                f"{url}?workflow_action={workflow_action}"
            )
