"""UserGroup: an institution or team of the user community, owning a PAS group.

Its members are the members of its PAS group; its leaders are named in
``leaders``. While the UserGroup is approved and its approval has not ended,
its members hold the ``Pleiades User`` role (download, request): the role is
computed each time access is decided (``content/roles.py``), so suspending the
group or passing the end date takes it away at once.
"""

from belspo.pleiades import _
from datetime import date
from plone import api
from plone.autoform import directives
from plone.dexterity.content import Item
from plone.supermodel import model
from zope import schema
from zope.interface import implementer


# The PAS group of UserGroup "ulb-igeat" is "usergroup-ulb-igeat".
GROUP_PREFIX = "usergroup-"
APPROVE_PERMISSION = "belspo.pleiades.ApproveUserGroup"


class IUserGroup(model.Schema):
    """An institution or team whose members download products and make requests."""

    institution_type = schema.Choice(
        title=_("Type of institution"),
        vocabulary="belspo.pleiades.InstitutionTypes",
        default="university",
    )
    contact_email = schema.TextLine(
        title=_("Contact e-mail"),
        constraint=lambda value: "@" in value and " " not in value.strip(),
    )
    directives.widget(
        "leaders",
        vocabulary="plone.app.vocabularies.Users",
        pattern_options={"allowNewItems": False},
    )
    leaders = schema.List(
        title=_("Group leaders"),
        description=_("They manage the group's membership and its requests."),
        value_type=schema.TextLine(),
        default=[],
        required=False,
    )
    directives.write_permission(approval_end=APPROVE_PERMISSION)
    approval_end = schema.Date(
        title=_("Approval ends on"),
        description=_(
            "Set by STEREO management. From the day after, members lose access."
        ),
        required=False,
    )


@implementer(IUserGroup)
class UserGroup(Item):
    """A user group of the community."""

    @property
    def group_id(self) -> str:
        """The id of the PAS group that holds the members."""
        return GROUP_PREFIX + self.getId()

    def is_active(self, today: date | None = None) -> bool:
        """Whether members may download today: approved and not past its end."""
        state = api.content.get_state(obj=self, default=None)
        end = getattr(self, "approval_end", None)
        today = today or date.today()
        return state == "approved" and end is not None and today <= end

    def member_ids(self) -> list[str]:
        """The user ids of the members, sorted."""
        group = api.group.get(groupname=self.group_id)
        if group is None:
            return []
        return sorted(group.getGroupMemberIds())

    def add_member(self, userid: str) -> None:
        """Make a user a member; the caller checks who may do it.

        :raises ValueError: if there is no such user.
        """
        if api.user.get(userid=userid) is None:
            raise ValueError(f"No user {userid!r}")
        api.portal.get_tool("portal_groups").addPrincipalToGroup(userid, self.group_id)

    def remove_member(self, userid: str) -> None:
        """Take a user out of the group."""
        api.portal.get_tool("portal_groups").removePrincipalFromGroup(
            userid, self.group_id
        )
