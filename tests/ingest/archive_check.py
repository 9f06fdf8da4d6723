"""Inspect an instance's archive from outside: ``python -m tests.ingest.archive_check
INSTANCE`` prints JSON: the products with their checksums, the blob files no
committed object names, the records zodbverify cannot load, and references to
objects that do not exist."""

from pathlib import Path
from ZODB.POSException import POSKeyError
from ZODB.serialize import referencesf
from ZODB.utils import repr_to_oid
from zodbverify.verify import verify_record

import hashlib
import json
import sys


def check(instance: Path, site_id: str = "Plone") -> dict:
    from belspo.pleiades.cli.run import load_zope
    from belspo.pleiades.ingest.durability import blob_directories

    import Zope2

    load_zope(instance / "etc" / "zope.ini")
    app = Zope2.app()
    storage = app._p_jar.db().storage
    try:
        catalog = app[site_id].portal_catalog
        products = []
        for brain in catalog.unrestrictedSearchResults(portal_type="Product"):
            product = brain._unrestrictedGetObject()
            with product.package.open() as package:
                digest = hashlib.sha256()
                while chunk := package.read(1 << 20):
                    digest.update(chunk)
            products.append(
                {
                    "dataset_name": product.dataset_name,
                    "sha256_recorded": product.package_sha256,
                    "sha256_actual": digest.hexdigest(),
                    "files": len(product.manifest),
                }
            )
        oids, unloadable, references = set(), [], set()
        cursor = None
        while True:
            oid, _tid, data, cursor = storage.record_iternext(cursor)
            oids.add(oid)
            if not verify_record(oid, data)[0]:
                unloadable.append(oid.hex())
            references.update(referencesf(data))
            if cursor is None:
                break
        dangling = sorted(r.hex() for r in references - oids)
        helper = blob_directories(storage)
        orphans = []
        for blob in Path(helper.base_dir).rglob("*.blob"):
            oid = helper.getOIDForPath(str(blob.parent))
            try:
                _data, serial = storage.load(oid)
            except POSKeyError:
                serial = None
            if serial != repr_to_oid(blob.name[: -len(".blob")]):
                orphans.append(str(blob))
        temporary = [
            str(p)
            for p in Path(storage.temporaryDirectory()).rglob("*")
            if p.is_file() and p.name != "journal.jsonl"
        ]
        return {
            "products": products,
            "unloadable": unloadable,
            "dangling": dangling,
            "orphan_blobs": orphans,
            "temporary_files": temporary,
        }
    finally:
        app._p_jar.close()
        Zope2.DB.close()


if __name__ == "__main__":
    print(json.dumps(check(Path(sys.argv[1]))))
