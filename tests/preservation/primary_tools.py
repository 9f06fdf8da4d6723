"""Change a primary from outside: ``python -m tests.preservation.primary_tools
INSTANCE`` deletes one Product (the first the catalog finds), packs the storage
with garbage collection, and prints JSON: the product deleted and its object id."""

from pathlib import Path

import json
import sys
import time


def delete_one_product(instance: Path, site_id: str = "Plone") -> dict:
    from belspo.pleiades.cli.run import admin_password
    from belspo.pleiades.cli.run import load_zope
    from belspo.pleiades.cli.site import open_portal
    from ZODB.serialize import referencesf

    import transaction
    import Zope2

    load_zope(instance / "etc" / "zope.ini")
    try:
        with open_portal(site_id, "admin", admin_password(instance)) as portal:
            catalog = portal.portal_catalog
            brain = catalog.unrestrictedSearchResults(portal_type="Product")[0]
            product = brain._unrestrictedGetObject()
            oid, name = product.package._p_oid, product.dataset_name
            product.aq_parent.manage_delObjects([product.getId()])
            transaction.commit()
        storage = Zope2.DB.storage
        # History-free storages drop unreachable objects only when packed.
        storage.pack(time.time(), referencesf)
        return {"deleted": name, "package_oid": oid.hex()}
    finally:
        Zope2.DB.close()


if __name__ == "__main__":
    print(json.dumps(delete_one_product(Path(sys.argv[1]))))
