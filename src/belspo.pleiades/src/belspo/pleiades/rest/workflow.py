"""``POST <content>/@workflow/<transition>`` on our types, as strict as the web.

plone.restapi's service has habits that do not fit our workflows:

- it takes a refused transition for done when the content is already in the
  transition's destination state (meant for ``include_children``). ``renew``
  goes from ``approved`` to ``approved``: a renewal refused for want of an end
  date would answer 200 with the group's previous history entry;
- a refused transition answers 400 but the transaction still commits what the
  service did before trying (the effective date it sets). As the web's
  ``content_status_modify`` does, a refusal keeps nothing;
- a body that is not JSON is a 500, and the refusal of a transition the user
  may not fire reads "No workflow provides the '${action_id}' action.".
"""

from plone.restapi.deserializer import json_body
from plone.restapi.exceptions import DeserializationError
from plone.restapi.services.workflow.transition import WorkflowTransition
from Products.CMFCore.WorkflowCore import WorkflowException
from zope.i18n import translate

import transaction


class StrictWorkflowTransition(WorkflowTransition):
    """Fire one transition; a refusal is reported and keeps nothing."""

    def reply(self):
        try:
            json_body(self.request)
        except DeserializationError as error:
            self.request.response.setStatus(400)
            return {"error": {"type": "DeserializationError", "message": str(error)}}
        result = super().reply()
        if self.request.response.getStatus() >= 400:
            transaction.doom()
        return result

    def recurse_transition(
        self, objs, comment, publication_dates, include_children=False
    ):
        try:
            super().recurse_transition(
                objs, comment, publication_dates, include_children
            )
        except WorkflowException as refusal:
            # Translated here, with its mapping: the base class translates str().
            message = translate(refusal.args[0], context=self.request)
            raise WorkflowException(message) from None

    def is_same_state(self, obj) -> bool:
        """Never take a refused transition for one already done."""
        return False
