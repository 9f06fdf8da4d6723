"""The permission matrix, through the Python API (see matrix.py)."""

from AccessControl.SecurityManagement import newSecurityManager
from AccessControl.SecurityManagement import noSecurityManager
from plone import api
from Products.CMFCore.utils import getToolByName
from tests.content import matrix
from tests.content import world

import pytest


PERMISSIONS = {
    "view": "View",
    "edit": "Modify portal content",
    "download": "belspo.pleiades: Download product",
    "membership": "belspo.pleiades: Manage group membership",
}


def login_as(portal, user: str) -> None:
    if user == "anonymous":
        noSecurityManager()
    else:
        acl_users = portal.acl_users
        newSecurityManager(None, acl_users.getUserById(user).__of__(acl_users))


def allowed_actions(obj, portal_type: str) -> dict[str, bool]:
    """What the current user may do on obj, by the matrix's action names."""
    can = {
        action: bool(api.user.has_permission(permission, obj=obj))
        for action, permission in PERMISSIONS.items()
        if action in matrix.actions(portal_type)
    }
    workflow_tool = getToolByName(obj, "portal_workflow")
    available = {t["id"] for t in workflow_tool.getTransitionsFor(obj)}
    for transition in matrix.TRANSITIONS[portal_type]:
        can[transition] = can["view"] and transition in available
    return can


@pytest.mark.parametrize("portal_type,state,user", list(matrix.cases()))
def test_matrix(portal, portal_type, state, user):
    obj = world.build_in_state(portal, portal_type, state)
    login_as(portal, user)
    try:
        assert allowed_actions(obj, portal_type) == matrix.expected(
            portal_type, state, user
        )
    finally:
        noSecurityManager()
