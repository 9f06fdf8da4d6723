"""Create or update the Plone site of a configured Zope (needs Zope loaded)."""

from AccessControl.SecurityManagement import newSecurityManager
from AccessControl.SecurityManagement import noSecurityManager
from belspo.pleiades.upgrades import upgrade_to_latest
from plone.distribution.api import site as site_api
from Testing.makerequest import makerequest
from zope.component.hooks import setSite
from zope.globalrequest import setRequest

import transaction
import Zope2


DISTRIBUTION = "pleiades"
DEMO_PROFILE = "belspo.pleiades:demo"


def site_answers(site_id: str, demo: bool) -> dict:
    """Return the answers of the site creation form for the portal."""
    return {
        "site_id": site_id,
        "title": "Pleiades National Data Portal",
        "description": "Belgian access to Pleiades very-high-resolution imagery",
        "default_language": "en",
        "portal_timezone": "Europe/Brussels",
        "setup_content": demo,
    }


def ensure_admin(app, name: str, password: str) -> bool:
    """Create the Zope root's Manager account if missing; return True if created."""
    users = app.acl_users
    if users.getUserById(name) is not None:
        return False
    users._doAddUser(name, password, ["Manager"], [])
    return True


def ensure_portal(site_id: str, admin: str, password: str, demo: bool = True) -> str:
    """Make sure the site exists and is up to date; return what was done.

    A missing site is created with the ``pleiades`` distribution (and the demo
    content when ``demo``); an existing one is reused, with pending upgrade steps
    of the add-on (and of its demo content) applied. Never recreates a site.
    """
    app = makerequest(Zope2.app())
    setRequest(app.REQUEST)
    try:
        created_admin = ensure_admin(app, admin, password)
        transaction.commit()
        newSecurityManager(None, app.acl_users.getUser(admin).__of__(app.acl_users))
        if site_id not in app.objectIds():
            site_api.create(app, DISTRIBUTION, site_answers(site_id, demo))
            done = f"created site {site_id!r}" + (" with demo content" if demo else "")
        else:
            site = app[site_id]
            setSite(site)
            setup = site.portal_setup
            before, after = upgrade_to_latest(setup)
            if setup.getLastVersionForProfile(DEMO_PROFILE) != "unknown":
                setup.upgradeProfile(DEMO_PROFILE)
            transaction.commit()
            done = f"reused site {site_id!r}" + (
                f" (upgraded {before} -> {after})" if before != after else ""
            )
        if created_admin:
            done += f"; created Zope manager {admin!r}"
        return done
    except BaseException:
        transaction.abort()
        raise
    finally:
        noSecurityManager()
        setSite(None)
        setRequest(None)
        app._p_jar.close()
