"""Memberships end on their end date, at the next access check: a PAS plugin.

A user's groups come from PAS's groups plugins, and a user group's roles (the
download right among them) reach its members through their PAS group. Plone
keeps memberships in ``source_groups``, where the ``@@members`` page and join
approvals put them. This plugin takes ``source_groups``' place as the portal's
groups plugin: it asks ``source_groups`` for a user's groups and leaves out
the user groups whose membership of that user has ended (``api.is_expired``).
An expired member stays in the PAS group, so that the member lists show them,
but the group's roles no longer reach them from the first request after the
end date, as when a group's own approval ends. No job has to run.

PAS plugins union what they find and none can take a group away, hence the
replacement rather than a plugin beside ``source_groups``. Importing the
default profile installs it; the uninstall profile restores ``source_groups``.
"""

from AccessControl.class_init import InitializeClass
from AccessControl.SecurityInfo import ClassSecurityInfo
from Acquisition import aq_inner
from Acquisition import aq_parent
from belspo.pleiades import logger
from belspo.pleiades.content.roles import find_user_group
from belspo.pleiades.content.user_group import GROUP_PREFIX
from belspo.pleiades.membership import api as membership
from datetime import date
from Products.GenericSetup.interfaces import IProfileImportedEvent
from Products.PluggableAuthService.interfaces.events import IPASEvent
from Products.PluggableAuthService.interfaces.plugins import IGroupsPlugin
from Products.PluggableAuthService.plugins.BasePlugin import BasePlugin
from zope.component import adapter
from zope.component.hooks import getSite
from zope.interface import implementer


PLUGIN_ID = "pleiades_memberships"
SOURCE_ID = "source_groups"
DEFAULT_PROFILE = "profile-belspo.pleiades:default"
UNINSTALL_PROFILE = "profile-belspo.pleiades:uninstall"


@implementer(IGroupsPlugin)
class MembershipGroups(BasePlugin):
    """``source_groups``' memberships, less those past their end."""

    meta_type = "Pleiades Membership Groups"
    security = ClassSecurityInfo()

    def __init__(self, id: str, title: str | None = None):
        self._setId(id)
        self.title = title

    @security.private
    def getGroupsForPrincipal(self, principal, request=None) -> tuple[str, ...]:
        pas = aq_parent(aq_inner(self))
        source = pas._getOb(SOURCE_ID, None)
        if source is None:
            return ()
        groups = source.getGroupsForPrincipal(principal, request)
        site = aq_parent(aq_inner(pas))
        today = date.today()
        return tuple(
            group_id
            for group_id in groups
            if not ended(site, group_id, principal.getId(), today)
        )


InitializeClass(MembershipGroups)


def ended(site, group_id: str, userid: str, today: date) -> bool:
    """Whether ``userid``'s membership of the PAS group ``group_id`` has ended."""
    if not group_id.startswith(GROUP_PREFIX):
        return False
    group = find_user_group(group_id[len(GROUP_PREFIX) :], site)
    return group is not None and membership.is_expired(group, userid, today)


def install(portal) -> None:
    """Put our plugin in ``source_groups``' place as the groups plugin."""
    pas = portal.acl_users
    if pas._getOb(PLUGIN_ID, None) is None:
        pas._setObject(
            PLUGIN_ID, MembershipGroups(PLUGIN_ID, "Memberships with an end date")
        )
    registry = pas.plugins
    if PLUGIN_ID not in registry.listPluginIds(IGroupsPlugin):
        registry.activatePlugin(IGroupsPlugin, PLUGIN_ID)
        # Before the recursive groups plugin, which builds on the groups found.
        registry.movePluginsTop(IGroupsPlugin, [PLUGIN_ID])
    if SOURCE_ID in registry.listPluginIds(IGroupsPlugin):
        registry.deactivatePlugin(IGroupsPlugin, SOURCE_ID)
    logger.info("memberships end on their end date (PAS plugin %s)", PLUGIN_ID)


def uninstall(portal) -> None:
    """Give the groups back to ``source_groups``; every membership counts again."""
    pas = portal.acl_users
    registry = pas.plugins
    if SOURCE_ID not in registry.listPluginIds(IGroupsPlugin):
        registry.activatePlugin(IGroupsPlugin, SOURCE_ID)
        registry.movePluginsTop(IGroupsPlugin, [SOURCE_ID])
    if PLUGIN_ID in registry.listPluginIds(IGroupsPlugin):
        registry.deactivatePlugin(IGroupsPlugin, PLUGIN_ID)
    if pas._getOb(PLUGIN_ID, None) is not None:
        pas._delObject(PLUGIN_ID)


@adapter(IProfileImportedEvent)
def profile_imported(event) -> None:
    """Install with the default profile, uninstall with the uninstall profile."""
    if not event.full_import:
        return
    portal = aq_parent(aq_inner(event.tool))
    if event.profile_id == DEFAULT_PROFILE:
        install(portal)
    elif event.profile_id == UNINSTALL_PROFILE:
        uninstall(portal)


@adapter(IPASEvent)
def membership_changed(event) -> None:
    """A user enters or leaves a user group: a former end date no longer holds.

    Approving a join request adds the member, then sets the new end date.
    """
    group_id = getattr(event, "group_id", "") or ""
    site = getSite()
    if not group_id.startswith(GROUP_PREFIX) or site is None:
        return
    group = find_user_group(group_id[len(GROUP_PREFIX) :], site)
    if group is not None:
        membership.set_membership_end(group, event.principal, None)
