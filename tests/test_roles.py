"""The agreement's actors: roles, groups and the add-on's permissions."""

from plone import api

import pytest


@pytest.mark.parametrize(
    "group_id,role",
    [
        ("stereo-managers", "Stereo Manager"),
        ("pleiades-validators", "Pleiades Validator"),
        ("pleiades-operators", "Pleiades Operator"),
    ],
)
def test_group_gives_its_role(portal, group_id, role):
    assert role in portal.valid_roles()
    user = api.user.create(email=f"{group_id}@example.org", username=f"u-{group_id}")
    api.group.add_user(groupname=group_id, user=user)
    assert role in api.user.get_roles(user=user)


ADMINS = {"Manager", "Site Administrator"}


@pytest.mark.parametrize(
    "permission,allowed",
    [
        ("belspo.pleiades: Download product", ADMINS | {"Pleiades Operator"}),
        ("belspo.pleiades: Add Product", ADMINS | {"Pleiades Operator"}),
        (
            "belspo.pleiades: Add AcquisitionRequest",
            ADMINS | {"Pleiades Operator", "Pleiades User"},
        ),
        ("belspo.pleiades: Add UserGroup", ADMINS | {"Stereo Manager"}),
        (
            "belspo.pleiades: Manage group membership",
            ADMINS | {"Stereo Manager"},
        ),
        ("belspo.pleiades: Approve user group", ADMINS | {"Stereo Manager"}),
        ("belspo.pleiades: Record outcome", ADMINS | {"Pleiades Operator"}),
    ],
)
def test_permission_roles_at_the_site_root(portal, permission, allowed):
    roles = {r["name"] for r in portal.rolesOfPermission(permission) if r["selected"]}
    assert roles == allowed


def test_anonymous_and_members_cannot_download(portal):
    roles = {
        r["name"]
        for r in portal.rolesOfPermission("belspo.pleiades: Download product")
        if r["selected"]
    }
    assert not roles & {"Anonymous", "Authenticated", "Member"}
