"""Two validators validate at the same moment, on an instance's real database.

``python -m tests.requests.race INSTANCE MODE`` prepares a year with one
attempt of rights left and two submitted requests of one attempt each, then
validates them from two threads (two Zope connections, as two Zope worker
threads would) that both decide before either commits. A commit that
conflicts is retried, as Zope's publisher retries a request. MODE ``shown``
posts the verdict the validator was shown (the validation view); ``plain``
does not (plone.restapi's ``@workflow``). Prints JSON.
"""

from belspo.pleiades.quota import config
from belspo.pleiades.quota import service
from datetime import date
from pathlib import Path
from plone import api
from Products.CMFCore.WorkflowCore import WorkflowException
from Testing.makerequest import makerequest
from tests.content import world
from ZODB.POSException import ConflictError
from zope.component.hooks import setSite
from zope.globalrequest import setRequest

import json
import sys
import threading
import transaction
import Zope2


def enter(app, userid):
    """Make this thread act in the portal as ``userid``."""
    from AccessControl.SecurityManagement import newSecurityManager

    app = makerequest(app)
    setRequest(app.REQUEST)
    portal = app.Plone
    setSite(portal)
    users = portal.acl_users
    if users.getUserById(userid) is None:
        users = app.acl_users  # the Zope manager
    newSecurityManager(app.REQUEST, users.getUserById(userid).__of__(users))
    return portal


def prepare(db) -> None:
    connection = db.open()
    try:
        app = connection.root()["Application"]
        app.acl_users._doAddUser("racer-admin", "secret", ["Manager"], [])
        portal = enter(app, "racer-admin")
        world.create_users()
        world.user_group(portal)
        world.user_group(portal, "kuleuven", "KU Leuven", approve=False, leaders=())
        world.join_groups()
        year = config.year_of(date.today())
        config.settings(year).capacity = 2500  # 100 attempts of rights
        spent = world.request(portal, "spent")
        spent.estimated_attempts = 99
        world.set_state(spent, "submitted")
        api.portal.get_tool("portal_workflow").doActionFor(
            spent, "validate", comment="the year's big campaign"
        )
        for request_id in ("left", "right"):
            world.set_state(world.request(portal, request_id), "submitted")
        transaction.commit()
    finally:
        transaction.abort()
        connection.close()


def validate(db, request_id, mode, barrier, results) -> None:
    connection = db.open()
    outcome = {"conflicts": 0}
    try:
        portal = enter(connection.root()["Application"], "validator")
        for attempt in range(3):
            transaction.begin()
            form = portal.REQUEST.form
            form.clear()
            if mode == "shown":
                form.update(quota_category="within quota", quota_price="0.0")
            request = portal.requests[request_id]
            try:
                api.portal.get_tool("portal_workflow").doActionFor(
                    request, "validate", comment="race"
                )
            except WorkflowException as refusal:
                transaction.abort()
                outcome["refused"] = str(refusal)
                break
            finally:
                if attempt == 0:
                    barrier.wait(timeout=60)  # both decided, neither committed
            try:
                transaction.commit()
                outcome["category"] = request.quota_decision["category"]
                break
            except ConflictError:
                transaction.abort()
                outcome["conflicts"] += 1
    except Exception as error:  # noqa: BLE001 - reported to the test
        outcome["error"] = repr(error)
        transaction.abort()
    finally:
        results[request_id] = outcome
        connection.close()


def race(mode: str) -> dict:
    db = Zope2.DB
    prepare(db)
    barrier = threading.Barrier(2)
    results = {}
    threads = [
        threading.Thread(target=validate, args=(db, name, mode, barrier, results))
        for name in ("left", "right")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    connection = db.open()
    try:
        portal = enter(connection.root()["Application"], "racer-admin")
        year = config.year_of(date.today())
        ledger = service.ledger(year)
        return {
            "results": results,
            "states": {
                name: api.content.get_state(portal.requests[name])
                for name in ("left", "right")
            },
            "rights_used": ledger.rights_used,
            "rights": ledger.rights,
            "beyond": ledger.beyond_quota_count,
        }
    finally:
        connection.close()


if __name__ == "__main__":
    from belspo.pleiades.cli.run import load_zope

    load_zope(Path(sys.argv[1]) / "etc" / "zope.ini")
    print(json.dumps(race(sys.argv[2])))
