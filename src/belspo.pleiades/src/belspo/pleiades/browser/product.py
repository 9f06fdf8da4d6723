"""The product page: quicklook, footprint, metadata, files and the download.

It is the ``view`` of a Product on our layer (the name its FTI uses), so it is
what people see at the product's address. Who may not download the package is
told why, and how to get access: log in or register; join, or ask for, a user
group; have the group's approval renewed.
"""

from Acquisition import aq_base
from belspo.pleiades import _
from belspo.pleiades.content.product import IProduct
from belspo.pleiades.content.roles import find_user_group
from belspo.pleiades.content.user_group import GROUP_PREFIX
from belspo.pleiades.content.user_group import UserGroup
from belspo.pleiades.membership import api as membership
from belspo.pleiades.preservation.browser import size as human_size
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from datetime import UTC
from plone import api
from plone.supermodel.interfaces import FIELDSETS_KEY
from Products.Five import BrowserView
from zope.i18n import translate
from zope.schema import Choice
from zope.schema import getFieldsInOrder

import json


# The title of content.product.DOWNLOAD_PERMISSION, as plone.api names it.
DOWNLOAD = "belspo.pleiades: Download product"
# Shown in their own sections, or not to visitors at all: the request, and the
# schema's "archive" fieldset (files, checksums, fixity history, warnings).
NOT_IN_TABLE = frozenset({"request"})
OWN_SECTIONS = "archive"
MAIN_GROUP = _("Acquisition")

# Why someone may not download, from the most to the least helpful to say.
ANONYMOUS = "anonymous"
EXPIRED = "expired"
SUSPENDED = "suspended"
PENDING = "pending"
NO_GROUP = "no-group"
MEMBERSHIP_ENDED = "membership-ended"
NOT_ALLOWED = "not-allowed"


@dataclass
class GroupStatus:
    """One of the member's user groups, as the download explanation needs it."""

    title: str
    url: str | None
    state: str
    approval_end: date | None


@dataclass
class Access:
    """Whether the current user may download, and if not why."""

    allowed: bool
    reason: str | None = None
    groups: list[GroupStatus] = field(default_factory=list)


def group_status(group: UserGroup, today: date) -> GroupStatus:
    """A user group's state for its member: ``expired`` once its end has passed."""
    state = api.content.get_state(obj=group, default="")
    end = getattr(group, "approval_end", None)
    if state == "approved" and (end is None or end < today):
        state = EXPIRED
    visible = api.user.has_permission("View", obj=group)
    return GroupStatus(
        title=group.Title(),
        url=group.absolute_url() if visible else None,
        state=state,
        approval_end=end,
    )


def member_groups(user, today: date) -> list[GroupStatus]:
    """The user groups of the community ``user`` is or was a member of.

    Memberships past their end are asked of ``source_groups``: the portal's
    groups plugin leaves them out of the user's groups.
    """
    source = api.portal.get().acl_users.source_groups
    groups = []
    for group_id in sorted(source.getGroupsForPrincipal(user) or ()):
        if group_id.startswith(GROUP_PREFIX):
            group = find_user_group(group_id[len(GROUP_PREFIX) :])
            if group is None:
                continue
            status = group_status(group, today)
            if membership.is_expired(group, user.getId(), today):
                status.state = MEMBERSHIP_ENDED
                status.approval_end = membership.membership_end(group, user.getId())
            groups.append(status)
    return groups


def download_access(product, today: date | None = None) -> Access:
    """Whether the current user may download ``product``'s package, and why not.

    The permission decides; the member's user groups explain a refusal.
    """
    if api.user.has_permission(DOWNLOAD, obj=product):
        return Access(allowed=True)
    if api.user.is_anonymous():
        return Access(allowed=False, reason=ANONYMOUS)
    groups = member_groups(api.user.get_current(), today or date.today())
    states = {group.state for group in groups}
    for reason in (MEMBERSHIP_ENDED, EXPIRED, SUSPENDED, PENDING):
        if reason in states:
            return Access(allowed=False, reason=reason, groups=groups)
    if not groups:
        return Access(allowed=False, reason=NO_GROUP)
    return Access(allowed=False, reason=NOT_ALLOWED, groups=groups)


def value_text(value) -> str:
    """A field's value as shown in the table (the field's title gives the unit)."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value.strftime("%Y-%m-%d %H:%M:%S UTC")
    return f"{round(value, 3):g}" if isinstance(value, float) else str(value)


class ProductView(BrowserView):
    """The default view of a Product: see the module."""

    def __call__(self):
        self.access = download_access(self.context)
        return self.index()

    def translated(self, message) -> str:
        return translate(message, context=self.request)

    # Metadata

    def metadata(self) -> list[dict]:
        """The fields of the product by group, each with a translated label."""
        fields = dict(getFieldsInOrder(IProduct))
        grouped = {name for fs in self.fieldsets() for name in fs.fields}
        groups = [(MAIN_GROUP, [n for n in fields if n not in grouped])]
        groups += [
            (fs.label, fs.fields)
            for fs in self.fieldsets()
            if fs.__name__ != OWN_SECTIONS
        ]
        sections = []
        for label, names in groups:
            rows = [
                self.row(name, fields[name])
                for name in names
                if name in fields and name not in NOT_IN_TABLE
            ]
            if rows:
                sections.append({"label": self.translated(label), "rows": rows})
        return sections

    @staticmethod
    def fieldsets() -> list:
        return IProduct.queryTaggedValue(FIELDSETS_KEY, [])

    def row(self, name: str, schema_field) -> dict:
        value = getattr(aq_base(self.context), name, None)
        if value is None or value == "":
            shown = None
        elif isinstance(schema_field, Choice):
            vocabulary = schema_field.bind(self.context).vocabulary
            title = vocabulary.getTerm(value).title if value in vocabulary else value
            shown = f"{self.translated(title)} ({value})"
        else:
            shown = value_text(value)
        return {
            "name": name,
            "label": self.translated(schema_field.title),
            "value": shown,
        }

    def footprint(self) -> str | None:
        """The footprint as GeoJSON, for the map."""
        geometry = getattr(aq_base(self.context), "footprint", None)
        if not geometry:
            return None
        return json.dumps(
            {
                "type": "Feature",
                "geometry": geometry,
                "properties": {"title": self.context.Title()},
            }
        )

    # Quicklook

    def quicklook(self) -> dict | None:
        """The quicklook's address and size, for the viewer and the link.

        The size in pixels is stored with the image: its file is not opened.
        """
        image = getattr(aq_base(self.context), "quicklook", None)
        width, height = image.getImageSize() if image is not None else (0, 0)
        if width <= 0 or height <= 0:
            return None
        url = f"{self.context.absolute_url()}/@@images/quicklook"
        return {"src": url, "width": width, "height": height}

    # Package

    def package(self) -> dict | None:
        """The package's size and checksum, and where to download it."""
        file = getattr(aq_base(self.context), "package", None)
        if file is None:
            return None
        size = file.getSize()
        url = f"{self.context.absolute_url()}/@@download/package"
        return {
            "size": size,
            "size_text": human_size(size),
            "filename": file.filename,
            "sha256": getattr(self.context, "package_sha256", None),
            "url": url,
            "sidecar_url": f"{url}.sha256",
        }

    def files(self) -> list[dict]:
        """The files of the package, from the manifest."""
        rows = []
        for entry in getattr(self.context, "manifest", None) or ():
            size = entry.get("size")
            rows.append(
                {
                    "path": entry.get("path", ""),
                    "size": size,
                    "size_text": human_size(size) if size is not None else "",
                    "sha256": entry.get("sha256", ""),
                }
            )
        return rows

    @staticmethod
    def files_size_text(files: list[dict]) -> str:
        return human_size(sum(row["size"] or 0 for row in files))

    def last_fixity(self) -> dict | None:
        """The last verification of the package's checksums."""
        history = getattr(self.context, "fixity_history", None) or ()
        return history[-1] if history else None

    def ingest_warnings(self) -> list[str]:
        """What the ingest noted, for those who curate the catalogue."""
        if not api.user.has_permission("Modify portal content", obj=self.context):
            return []
        return list(getattr(self.context, "ingest_warnings", None) or ())

    # The request it came from

    def acquisition_request(self) -> dict | None:
        """The request the product was delivered for, if the user may see it."""
        relation = getattr(aq_base(self.context), "request", None)
        target = getattr(relation, "to_object", None) if relation else None
        if target is None or not api.user.has_permission("View", obj=target):
            return None
        state = api.content.get_state(obj=target, default="")
        workflow = api.portal.get_tool("portal_workflow")
        return {
            "title": target.Title(),
            "url": target.absolute_url(),
            "state": self.translated(
                workflow.getTitleForStateOnType(state, target.portal_type)
            ),
        }

    # Getting access

    def portal_url(self) -> str:
        return api.portal.get().absolute_url()

    def login_url(self) -> str:
        return f"{self.portal_url()}/login?came_from={self.context.absolute_url()}"

    def register_url(self) -> str | None:
        """Plone's registration form, when visitors may register themselves."""
        portal = api.portal.get()
        if api.user.has_permission("Add portal member", obj=portal):
            return f"{self.portal_url()}/@@register"
        return None

    def groups_url(self) -> str:
        return f"{self.portal_url()}/@@join-group"

    def contact_url(self) -> str:
        return f"{self.portal_url()}/contact-info"

    def group_state(self, group: GroupStatus) -> str:
        """A user group's state as the member reads it."""
        end = group.approval_end
        # Expired by STEREO management before its end date: no date to tell.
        if group.state == MEMBERSHIP_ENDED:
            message = _(
                "membership ended on ${date}",
                mapping={"date": end.isoformat()},
            )
        elif group.state == EXPIRED and end is not None and end < date.today():
            message = _(
                "approval ended on ${date}",
                mapping={"date": end.isoformat()},
            )
        else:
            message = {
                EXPIRED: _("approval expired"),
                SUSPENDED: _("suspended"),
                PENDING: _("waiting for approval"),
                "approved": _("approved"),
            }.get(group.state, group.state)
        return self.translated(message)
