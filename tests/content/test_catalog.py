"""Maps and listings are built from the catalog alone: no product is loaded."""

from tests.content import world

import transaction


def test_search_and_metadata_leave_products_unloaded(functional_portal):
    world.build(functional_portal)
    for number in range(2, 6):
        world.product(functional_portal, f"p{number}")
    transaction.commit()

    # A fresh connection has nothing in its cache, like a new worker thread.
    connection = functional_portal._p_jar.db().open()
    try:
        portal = connection.root()["Application"][functional_portal.getId()]
        catalog = portal.portal_catalog
        brains = catalog.unrestrictedSearchResults(
            portal_type="Product",
            footprint=(4.2, 50.2, 4.8, 50.8),
            cloud_cover={"query": 20, "range": "max"},
            sort_on="acquisition_date",
        )
        rows = [
            (b.getId, b.footprint["type"], b.cloud_cover, b.mission, b.acquisition_date)
            for b in brains
        ]
        assert len(rows) == 5
        products = portal.catalogue._tree
        assert all(products[row[0]]._p_changed is None for row in rows)  # ghosts
    finally:
        connection.close()
