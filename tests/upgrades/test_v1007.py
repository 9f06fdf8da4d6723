"""1006 -> 1007: self-registration, the personal menu's pages, the language
selector, and memberships that end on their end date."""

from belspo.pleiades.membership import api as membership
from belspo.pleiades.membership import plugin
from belspo.pleiades.upgrades import PROFILE_ID
from belspo.pleiades.upgrades import upgrade_to_latest
from plone import api
from Products.PluggableAuthService.interfaces.plugins import IGroupsPlugin
from tests.content import world
from zope.annotation.interfaces import IAnnotations


ACTIONS = ("my-requests", "my-downloads", "join-requests")
RECORDS = ("plone.enable_self_reg", "plone.always_show_selector")


def roles_with(portal, permission: str) -> set[str]:
    return {r["name"] for r in portal.rolesOfPermission(permission) if r["selected"]}


def test_membership_added(portal, setup_tool):
    with api.env.adopt_roles(["Manager"]):
        group = world.user_group(portal, approve=False, leaders=())
    del IAnnotations(group)[membership.KEY]
    actions = api.portal.get_tool("portal_actions").user
    actions.manage_delObjects(list(ACTIONS))
    for name in RECORDS:
        api.portal.set_registry_record(name, False)
    api.portal.set_registry_record("plone.enable_user_pwd_choice", True)
    portal.manage_permission("Add portal member", ["Manager", "Owner"], acquire=False)
    plugin.uninstall(portal)
    registry = portal.portal_registry
    for name in [n for n in registry.records if "belspo-pleiades" in n]:
        del registry.records[name]
    setup_tool.setLastVersionForProfile(PROFILE_ID, "1006")
    with api.env.adopt_roles(["Manager"]):
        upgrade_to_latest(setup_tool)
    assert set(ACTIONS) <= set(actions.objectIds())
    for name in RECORDS:
        assert api.portal.get_registry_record(name) is True
    assert api.portal.get_registry_record("plone.enable_user_pwd_choice") is False
    assert "Anonymous" in roles_with(portal, "Add portal member")
    groups_plugins = portal.acl_users.plugins.listPluginIds(IGroupsPlugin)
    assert plugin.PLUGIN_ID in groups_plugins
    assert plugin.SOURCE_ID not in groups_plugins
    assert membership.register_of(group) is not None
    css = api.portal.get_registry_record("plone.bundles/belspo-pleiades.csscompilation")
    assert css.endswith("pleiades-site.css")
    assert setup_tool.getLastVersionForProfile(PROFILE_ID) >= ("1007",)
