"""A UserGroup's membership, managed by its leaders and STEREO management."""

from belspo.pleiades import _
from plone import api
from plone.protect import CheckAuthenticator
from Products.Five import BrowserView
from Products.statusmessages.interfaces import IStatusMessage


class MembersView(BrowserView):
    """List the members; add one by user id or e-mail, remove one."""

    def __call__(self):
        form = self.request.form
        if self.request.method == "POST":
            CheckAuthenticator(self.request)
            if form.get("add"):
                self.add(form.get("user", "").strip())
            elif form.get("remove"):
                self.remove(form.get("remove"))
            return self.request.response.redirect(
                f"{self.context.absolute_url()}/@@members"
            )
        return self.index()

    def message(self, text, kind="info") -> None:
        IStatusMessage(self.request).add(text, type=kind)

    def find_user(self, name: str):
        """The user with this id, login or e-mail address, or None."""
        user = api.user.get(userid=name) or api.user.get(username=name)
        if user is None and "@" in name:
            # Ask PAS for the address rather than loading every member.
            found = api.portal.get_tool("acl_users").searchUsers(
                email=name, exact_match=True
            )
            user = api.user.get(userid=found[0]["userid"]) if found else None
        return user

    def add(self, name: str) -> None:
        user = self.find_user(name) if name else None
        if user is None:
            self.message(_("No user ${name}.", mapping={"name": name}), "error")
            return
        self.context.add_member(user.getId())
        self.message(_("${name} is now a member.", mapping={"name": user.getId()}))

    def remove(self, userid: str) -> None:
        if userid not in self.context.member_ids():
            self.message(
                _("${name} is not a member.", mapping={"name": userid}), "error"
            )
            return
        self.context.remove_member(userid)
        self.message(_("${name} is no longer a member.", mapping={"name": userid}))

    def members(self) -> list[dict]:
        """The members with their names and e-mail addresses."""
        rows = []
        for userid in self.context.member_ids():
            user = api.user.get(userid=userid)
            rows.append(
                {
                    "id": userid,
                    "name": user.getProperty("fullname") if user else "",
                    "email": user.getProperty("email") if user else "",
                }
            )
        return rows
