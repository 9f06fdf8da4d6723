"""Roles computed when access is decided, from the user community's state.

borg.localrole asks these providers for every permission check, so a role
appears or disappears the moment a UserGroup is approved, suspended, reaches its
end date, or changes its leaders; no job has to grant or revoke anything.
"""

from belspo.pleiades.content.acquisition_request import IAcquisitionRequest
from belspo.pleiades.content.user_group import GROUP_PREFIX
from belspo.pleiades.content.user_group import IUserGroup
from belspo.pleiades.content.user_group import UserGroup
from borg.localrole.interfaces import ILocalRoleProvider
from plone.base.interfaces import IPloneSiteRoot
from zope.component import adapter
from zope.component.hooks import getSite
from zope.interface import implementer


PLEIADES_USER = "Pleiades User"
GROUP_LEADER = "Group Leader"
GROUP_MEMBER = "Group Member"


def find_user_group(group_id: str | None, site=None) -> UserGroup | None:
    """The UserGroup with this id in the portal's ``groups`` folder, or None."""
    site = site if site is not None else getSite()
    folder = site._getOb("groups", None) if group_id and site is not None else None
    found = folder._getOb(group_id, None) if folder is not None else None
    return found if IUserGroup.providedBy(found) else None


@implementer(ILocalRoleProvider)
@adapter(IPloneSiteRoot)
class CommunityRoles:
    """Members of an active UserGroup are Pleiades Users throughout the portal."""

    def __init__(self, context):
        self.context = context

    def getRoles(self, principal_id: str) -> tuple[str, ...]:
        if not principal_id.startswith(GROUP_PREFIX):
            return ()
        group = find_user_group(principal_id[len(GROUP_PREFIX) :], self.context)
        return (PLEIADES_USER,) if group is not None and group.is_active() else ()

    def getAllRoles(self):
        # Only for catalog security, and Pleiades User is never given View
        # (see the workflows): listing it would only make indexing slower.
        return []


class _GroupRoles:
    """Leaders and members of one UserGroup, as local roles."""

    def __init__(self, context):
        self.context = context

    def user_group(self) -> UserGroup | None:
        raise NotImplementedError

    def getRoles(self, principal_id: str) -> tuple[str, ...]:
        group = self.user_group()
        if group is None:
            return ()
        roles = []
        if principal_id in (group.leaders or ()):
            roles.append(GROUP_LEADER)
        if principal_id == group.group_id:
            roles.append(GROUP_MEMBER)
        return tuple(roles)

    def getAllRoles(self):
        group = self.user_group()
        if group is None:
            return
        for leader in group.leaders or ():
            yield leader, (GROUP_LEADER,)
        yield group.group_id, (GROUP_MEMBER,)


@implementer(ILocalRoleProvider)
@adapter(IUserGroup)
class UserGroupRoles(_GroupRoles):
    """On a UserGroup: its leaders lead it, its members are members."""

    def user_group(self) -> UserGroup:
        return self.context


@implementer(ILocalRoleProvider)
@adapter(IAcquisitionRequest)
class RequestRoles(_GroupRoles):
    """On a request: the leaders and members of the group it is made for."""

    def user_group(self) -> UserGroup | None:
        return find_user_group(getattr(self.context, "user_group", None))
