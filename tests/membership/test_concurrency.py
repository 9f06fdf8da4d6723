"""Join requests sent at the same moment, from two Zope connections.

Two threads, as two Zope worker threads would, each ask before either commits.
Different members' requests are merged by the ZODB; the same member's second
request conflicts, and once retried (as Zope's publisher retries it) is
refused as a duplicate.
"""

from AccessControl.SecurityManagement import newSecurityManager
from AccessControl.SecurityManagement import noSecurityManager
from belspo.pleiades.membership import api as membership
from belspo.pleiades.membership.api import JoinRefused
from Testing.makerequest import makerequest
from tests.content import world
from ZODB.POSException import ConflictError
from zope.component.hooks import setSite
from zope.globalrequest import clearRequest
from zope.globalrequest import setRequest

import threading
import transaction


def ask_at_once(db, portal_id: str, userids: list[str]) -> list[dict]:
    """Each user asks to join ULB from a thread of their own; commits wait for all."""
    barrier = threading.Barrier(len(userids))
    results = [{} for _ in userids]

    def ask(index: int, userid: str) -> None:
        connection = db.open()
        outcome = results[index]
        outcome["conflicts"] = 0
        try:
            app = makerequest(connection.root()["Application"])
            setRequest(app.REQUEST)
            portal = app[portal_id]
            setSite(portal)
            users = portal.acl_users
            newSecurityManager(app.REQUEST, users.getUserById(userid).__of__(users))
            for attempt in range(3):
                transaction.begin()
                try:
                    membership.ask(portal.groups.ulb, f"attempt {attempt}")
                except JoinRefused as refused:
                    outcome["refused"] = str(refused)
                    transaction.abort()
                    break
                if attempt == 0:
                    barrier.wait(timeout=30)
                try:
                    transaction.commit()
                    outcome["asked"] = True
                    break
                except ConflictError:
                    transaction.abort()
                    outcome["conflicts"] += 1
        finally:
            transaction.abort()
            noSecurityManager()
            setSite(None)
            clearRequest()
            connection.close()

    threads = [
        threading.Thread(target=ask, args=(index, userid))
        for index, userid in enumerate(userids)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_two_members_at_once_do_not_conflict(functional_portal):
    world.build(functional_portal)
    transaction.commit()
    db = functional_portal._p_jar.db()
    results = ask_at_once(db, functional_portal.getId(), ["member", "outsider"])
    assert results == [{"conflicts": 0, "asked": True}] * 2
    transaction.begin()
    asked = {r.userid for r in membership.pending(functional_portal.groups.ulb)}
    assert asked == {"member", "outsider"}


def test_one_member_twice_at_once_asks_once(functional_portal):
    world.build(functional_portal)
    transaction.commit()
    db = functional_portal._p_jar.db()
    results = ask_at_once(db, functional_portal.getId(), ["member", "member"])
    asked = [r for r in results if r.get("asked")]
    retried = [r for r in results if r.get("refused")]
    assert len(asked) == 1
    assert len(retried) == 1
    assert retried[0]["conflicts"] == 1
    assert "already asked" in retried[0]["refused"]
    transaction.begin()
    assert len(membership.pending(functional_portal.groups.ulb)) == 1
