"""Create or update the Plone site of a configured Zope (needs Zope loaded)."""

from AccessControl.SecurityManagement import newSecurityManager
from AccessControl.SecurityManagement import noSecurityManager
from belspo.pleiades.cli import CommandError
from belspo.pleiades.content.metadata import use_small_metadata_buckets
from belspo.pleiades.upgrades import upgrade_to_latest
from contextlib import contextmanager
from pathlib import Path
from plone.distribution.api import site as site_api
from Testing.makerequest import makerequest
from zope.component.hooks import setSite
from zope.globalrequest import setRequest

import tempfile
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


DEMO_DELIVERIES = 12  # of 3 products each
DEMO_SEED = 20260001


def seed_demo_catalogue(site) -> int:
    """Ingest synthetic deliveries into an empty catalogue; return how many products.

    The same seeds every time, so the demo catalogue is the same everywhere. A
    catalogue that has products already is left alone.
    """
    from belspo.pleiades.ingest.pipeline import Ingester
    from belspo.pleiades.ingest.synthetic import write_delivery
    from plone import api

    catalog = site.portal_catalog
    if catalog.unrestrictedSearchResults(portal_type="Product"):
        return 0
    created = 0
    with tempfile.TemporaryDirectory() as work:
        ingester = Ingester(site, Path(work) / "quarantine")
        for number in range(DEMO_DELIVERIES):
            delivery = write_delivery(
                Path(work),
                count=3,
                seed=DEMO_SEED + number,
                region="belgium" if number % 3 else "europe",
                as_zip=number % 2 == 0,
            )
            outcome = ingester.ingest(delivery.path)
            for path in outcome.products:
                product = site.unrestrictedTraverse(path)
                api.content.transition(obj=product, transition="publish")
                created += 1
            transaction.commit()
    return created


@contextmanager
def zope_as_manager(admin: str, password: str, create: bool = True):
    """The Zope application with a request, as its manager (created if missing).

    :returns: (the application, whether the manager account was created).
    :raises CommandError: if the manager is missing and ``create`` is false.
    """
    app = makerequest(Zope2.app())
    setRequest(app.REQUEST)
    try:
        created = ensure_admin(app, admin, password) if create else False
        transaction.commit()
        user = app.acl_users.getUser(admin)
        if user is None:
            raise CommandError(
                f"no Zope manager {admin!r} in this database, and --no-create "
                "forbids making one: is the database empty?"
            )
        newSecurityManager(None, user.__of__(app.acl_users))
        yield app, created
    finally:
        transaction.abort()
        noSecurityManager()
        setSite(None)
        setRequest(None)
        app._p_jar.close()


def ensure_portal(
    site_id: str, admin: str, password: str, demo: bool = True, create: bool = True
) -> str:
    """Make sure the site exists and is up to date; return what was done.

    A missing site is created with the ``pleiades`` distribution (and the demo
    content when ``demo``); an existing one is reused, with pending upgrade steps
    of the add-on (and of its demo content) applied. Never recreates a site.

    :raises CommandError: if the site or the manager is missing and ``create``
        is false (a restore drill must not turn an empty backup into a portal).
    """
    with zope_as_manager(admin, password, create) as (app, created_admin):
        if site_id not in app.objectIds():
            if not create:
                raise CommandError(
                    f"no site {site_id!r} in this database, and --no-create "
                    "forbids creating it"
                )
            site_api.create(app, DISTRIBUTION, site_answers(site_id, demo))
            transaction.commit()
            done = f"created site {site_id!r}" + (" with demo content" if demo else "")
        else:
            setSite(app[site_id])
            setup = app[site_id].portal_setup
            before, after = upgrade_to_latest(setup)
            # Again after a "Clear and Rebuild", which makes the tree plain.
            rebucketed = use_small_metadata_buckets(app[site_id].portal_catalog)
            demo = setup.getLastVersionForProfile(DEMO_PROFILE) != "unknown"
            if demo:
                setup.upgradeProfile(DEMO_PROFILE)
            transaction.commit()
            done = f"reused site {site_id!r}" + (
                f" (upgraded {before} -> {after})" if before != after else ""
            )
            if rebucketed:
                done += "; catalog metadata moved back to small buckets"
        if demo:
            setSite(app[site_id])
            seeded = seed_demo_catalogue(app[site_id])
            if seeded:
                done += f"; {seeded} demo products ingested"
        if created_admin:
            done += f"; created Zope manager {admin!r}"
        return done


@contextmanager
def open_portal(site_id: str, admin: str, password: str):
    """The existing site, as the Zope manager, for a command-line program.

    :raises LookupError: if the site does not exist yet.
    """
    with zope_as_manager(admin, password) as (app, _created):
        if site_id not in app.objectIds():
            raise LookupError(site_id)
        setSite(app[site_id])
        yield app[site_id]
