"""Create or update the portal of a buildout instance, as ``make run`` does.

Run it with Zope loaded, from the buildout directory::

    bin/instance run src/belspo.pleiades/src/belspo/pleiades/cli/buildout_site.py

The Zope manager ``admin`` gets the password of ``admin-password`` next to the
client home (``instance/var`` in buildout.cfg: ``instance/admin-password``, the one
of ``make run``), generated if missing.
"""

from App.config import getConfiguration
from belspo.pleiades.cli.run import ADMIN_NAME
from belspo.pleiades.cli.run import admin_password
from belspo.pleiades.cli.site import ensure_portal
from pathlib import Path


def main() -> None:
    """Make sure the site ``Plone`` exists, with the demo content; print the report."""
    instance = Path(getConfiguration().clienthome).parent
    password = admin_password(instance)
    print(ensure_portal("Plone", ADMIN_NAME, password, demo=True), flush=True)


if __name__ == "__main__":
    main()
