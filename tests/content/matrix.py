"""Who may do what, per type and state: the permission matrix the portal must obey.

Actions: view, edit, download (products), membership (user groups), and every
transition of the type's workflow. Users are those of ``world.ACTORS``, plus
``anonymous``. A transition counts as possible for a user who may see the
content and passes its guard.
"""

ADMINS = {"siteadmin"}
STAFF = ADMINS | {"operator"}
ULB = {"owner", "colleague", "leader"}  # the approved group's members
REQUEST_READERS = ADMINS | ULB
REQUEST_FOLLOWERS = REQUEST_READERS | {"validator", "operator"}
MANAGERS = ADMINS | {"stereo"}
EVERYONE = {
    "anonymous",
    "member",
    "owner",
    "colleague",
    "leader",
    "outsider",
    "stereo",
    "validator",
    "operator",
    "siteadmin",
}

PRODUCT = {
    "ingested": {"view": STAFF, "edit": STAFF, "download": STAFF, "publish": STAFF},
    "published": {
        "view": EVERYONE,
        "edit": STAFF,
        "download": STAFF | ULB | {"stereo", "validator"},
        "withdraw": STAFF,
    },
    "withdrawn": {
        "view": STAFF,
        "edit": STAFF,
        "download": STAFF,
        "publish": STAFF,
    },
}

_closed = {"view": REQUEST_FOLLOWERS, "edit": ADMINS}
REQUEST = {
    "draft": {
        "view": REQUEST_READERS,
        "edit": ADMINS | {"owner", "leader"},
        "submit": ADMINS | {"owner", "leader"},
        "cancel": ADMINS | {"owner", "leader"},
    },
    "submitted": {
        "view": REQUEST_FOLLOWERS,
        "edit": ADMINS,
        "validate": {"validator"},
        "reject": {"validator"},
        "retract": ADMINS | {"owner", "leader"},
        "cancel": ADMINS | {"owner", "leader", "operator"},
    },
    "validated": {
        "view": REQUEST_FOLLOWERS,
        "edit": STAFF,
        "program": {"operator"},
        "cancel": ADMINS | {"owner", "leader", "operator"},
    },
    "programmed": {
        "view": REQUEST_FOLLOWERS,
        "edit": STAFF,
        "acquire": {"operator"},
        "fail": {"operator"},
    },
    "rejected": _closed,
    "acquired": _closed,
    "failed": _closed,
    "cancelled": _closed,
}

_closed_group = {
    "view": MANAGERS | ULB,
    "edit": MANAGERS,
    "membership": MANAGERS,
    "renew": MANAGERS,
}
USER_GROUP = {
    "pending": {
        "view": MANAGERS | {"leader"},
        "edit": MANAGERS,
        "membership": MANAGERS | {"leader"},
        "approve": MANAGERS,
    },
    "approved": {
        "view": EVERYONE - {"anonymous"},
        "edit": MANAGERS | {"leader"},
        "membership": MANAGERS | {"leader"},
        "suspend": MANAGERS,
        "expire": MANAGERS,
        "renew": MANAGERS,
    },
    "suspended": _closed_group,
    "expired": _closed_group,
}

TRANSITIONS = {
    "Product": {"publish", "withdraw"},
    "AcquisitionRequest": {
        "submit",
        "retract",
        "validate",
        "reject",
        "program",
        "acquire",
        "fail",
        "cancel",
    },
    "UserGroup": {"approve", "suspend", "renew", "expire"},
}
EXTRA_ACTIONS = {
    "Product": {"download"},
    "AcquisitionRequest": set(),
    "UserGroup": {"membership"},
}
MATRIX = {"Product": PRODUCT, "AcquisitionRequest": REQUEST, "UserGroup": USER_GROUP}


def actions(portal_type: str) -> set[str]:
    return {"view", "edit"} | EXTRA_ACTIONS[portal_type] | TRANSITIONS[portal_type]


def expected(portal_type: str, state: str, user: str) -> dict[str, bool]:
    """What the matrix says this user may do on this type in this state."""
    table = MATRIX[portal_type][state]
    return {action: user in table.get(action, set()) for action in actions(portal_type)}


def cases():
    """(type, state, user) for every cell of the matrix."""
    from tests.content.world import USERS

    for portal_type, states in MATRIX.items():
        for state in states:
            for user in USERS:
                yield portal_type, state, user
