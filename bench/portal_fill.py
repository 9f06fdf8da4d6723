"""Fill a prepared portal instance with published synthetic products, quickly.

``bench/portal.py`` runs it on an instance whose server is stopped:
``python bench/portal_fill.py INSTANCE --first K --count N [--seed S]``. It loads
Zope from the instance's ``etc/zope.ini``, opens the site as the Zope manager and:

- publishes the products ``pleiades-ingest`` archived there (state ``ingested``:
  the large package), and tells where their package blob files are;
- creates products K to K + N - 1 in ``/catalogue``, each as the ingest makes one
  (``api.content.create`` with every metadata field, then the blobs) but from a
  ``random_spec`` over Europe instead of a delivery: mission, acquisition date
  (2019 to 2026), levels, angles, cloud and snow cover, a footprint of about
  20 x 20 km; a package zip holding its DIMAP document (a few kB, with its
  SHA-256 and manifest), and a small quicklook and thumbnail (JPEG). Each is
  published; the catalog indexes it when its batch of ``BATCH`` is committed.

Product number i is drawn from its own seed (``S + i``), so a fill in several
runs gives the same products as one. Progress goes to stderr, one line per
batch; the last line on stdout is JSON: how many, how long, the rate, a sample
of the products' paths, and the published packages.
"""

from io import BytesIO
from pathlib import Path

import argparse
import hashlib
import json
import random
import sys
import time
import zipfile


SITE_ID = "Plone"
BATCH = 1000  # products per transaction
SAMPLE = 500  # product paths handed back, for the pages to visit
QUICKLOOK_PIXELS = 512
THUMBNAIL_PIXELS = 256


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def jpeg(pixels: int, seed: int) -> bytes:
    """A grey-green noise image, as a preview of farmland would look."""
    from PIL import Image

    noise = random.Random(seed).randbytes(pixels * pixels)
    image = Image.merge(
        "RGB",
        [
            Image.frombytes("L", (pixels, pixels), noise).point(lambda v, k=k: v // k)
            for k in (3, 2, 4)
        ],
    )
    out = BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def package(spec) -> tuple[bytes, str, list[dict]]:
    """A delivery-like zip of the product's DIMAP document, its SHA-256, manifest."""
    from belspo.pleiades.ingest.synthetic import write_dimap

    document = write_dimap(spec)
    name = f"{spec.dataset_name}/DIM_{spec.dataset_name}.XML"
    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, document)
    data = out.getvalue()
    manifest = [
        {
            "path": name,
            "size": len(document),
            "sha256": hashlib.sha256(document).hexdigest(),
        }
    ]
    return data, hashlib.sha256(data).hexdigest(), manifest


def naive(moment):
    """An aware UTC datetime as the naive UTC one the Product stores."""
    return moment.replace(tzinfo=None)


def fields(spec) -> dict:
    """The Product's fields, as the ingest sets them from the document."""
    return {
        "title": spec.dataset_name,
        "dataset_name": spec.dataset_name,
        "mission": spec.mission,
        "acquisition_date": naive(spec.acquisition_date),
        "processing_level": spec.processing_level,
        "spectral_mode": spec.spectral_mode,
        "radiometric_processing": spec.radiometric_processing,
        "ground_sample_distance": spec.ground_sample_distance,
        "incidence_angle": spec.incidence_angle,
        "viewing_angle": spec.viewing_angle,
        "azimuth_angle": spec.azimuth_angle,
        "sun_elevation": spec.sun_elevation,
        "sun_azimuth": spec.sun_azimuth,
        "cloud_cover": spec.cloud_cover,
        "snow_cover": spec.snow_cover,
        "surface_area": spec.surface_area,
        "crs": spec.crs,
        "raster_width": spec.columns,
        "raster_height": spec.rows,
        "bands": spec.bands,
        "bit_depth": spec.bit_depth,
        "producer": spec.producer,
        "job_id": spec.job_id,
        "product_code": spec.product_code,
        "customer_reference": spec.customer_reference,
        "production_date": naive(spec.production_date),
        "footprint": spec.footprint,
    }


class Filler:
    """Creates and publishes products in the site's catalogue folder."""

    def __init__(self, site, seed: int):
        self.site = site
        self.folder = site["catalogue"]
        self.seed = seed
        self.quicklook = jpeg(QUICKLOOK_PIXELS, seed)
        self.thumbnail = jpeg(THUMBNAIL_PIXELS, seed + 1)

    def create(self, number: int):
        """Product ``number``: created, its blobs attached, published."""
        from belspo.pleiades.ingest.synthetic import random_spec
        from plone import api
        from plone.namedfile.file import NamedBlobFile
        from plone.namedfile.file import NamedBlobImage

        spec = random_spec(random.Random(self.seed + number), region="europe")
        product_id = f"{spec.dataset_name.lower()}-{number}"
        product = api.content.create(
            container=self.folder,
            type="Product",
            id=product_id,
            safe_id=False,
            **{k: v for k, v in fields(spec).items() if v is not None},
        )
        data, digest, manifest = package(spec)
        product.package = NamedBlobFile(
            data, contentType="application/zip", filename=f"{product_id}.zip"
        )
        product.package_sha256 = digest
        product.manifest = manifest
        product.quicklook = NamedBlobImage(
            self.quicklook, filename=f"{product_id}-quicklook.jpg"
        )
        product.thumbnail = NamedBlobImage(
            self.thumbnail, filename=f"{product_id}-thumbnail.jpg"
        )
        api.content.transition(obj=product, transition="publish")
        # The blobs' image scales too: the indexing queue merges this with the
        # creation's, so the product is catalogued once, at the commit.
        product.reindexObject()
        return product

    def publish_ingested(self) -> list[dict]:
        """Publish what pleiades-ingest archived; where each package's blob is."""
        from plone import api

        import transaction

        catalog = api.portal.get_tool("portal_catalog")
        published = []
        for brain in catalog.unrestrictedSearchResults(
            portal_type="Product", review_state="ingested"
        ):
            product = brain._unrestrictedGetObject()
            api.content.transition(obj=product, transition="publish")
            published.append(product)
        transaction.commit()
        packages = []
        for product in published:
            blob = product.package._blob
            blob._p_activate()
            path = blob.committed()
            packages.append(
                {
                    "path": "/".join(product.getPhysicalPath()[2:]),
                    "blob": path,
                    "size": Path(path).stat().st_size,
                    "sha256": product.package_sha256,
                }
            )
        return packages

    def fill(self, first: int, count: int) -> tuple[float, list[str]]:
        """Create the products in batches; the time it took, a sample of paths."""
        import transaction

        started = time.perf_counter()
        every = max(1, count // SAMPLE)
        sample = []
        batch_started = started
        for number in range(first, first + count):
            product = self.create(number)
            if (number - first) % every == 0:
                sample.append("/".join(product.getPhysicalPath()[2:]))
            done = number - first + 1
            if done % BATCH == 0 or done == count:
                transaction.get().note(f"bench: products up to {number}")
                transaction.commit()
                self.site._p_jar.cacheGC()
                now = time.perf_counter()
                size = (done - 1) % BATCH + 1
                log(
                    f"    {first + done} products ({done} / {count} of this fill; "
                    f"{size / (now - batch_started):.0f}/s in the last batch, "
                    f"{done / (now - started):.0f}/s overall)"
                )
                batch_started = now
        return time.perf_counter() - started, sample


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("instance", type=Path)
    parser.add_argument("--first", type=int, default=0, help="the first number")
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--seed", type=int, default=20261101)
    args = parser.parse_args(argv)
    from belspo.pleiades.cli.run import ADMIN_NAME
    from belspo.pleiades.cli.run import admin_password
    from belspo.pleiades.cli.run import load_zope

    load_zope(args.instance / "etc" / "zope.ini")
    from belspo.pleiades.cli.site import open_portal

    import Zope2

    try:
        with open_portal(SITE_ID, ADMIN_NAME, admin_password(args.instance)) as site:
            filler = Filler(site, args.seed)
            packages = filler.publish_ingested()
            elapsed, sample = filler.fill(args.first, args.count)
    finally:
        Zope2.DB.close()
    answer = {
        "created": args.count,
        "seconds": elapsed,
        "rate": args.count / elapsed if elapsed else None,
        "sample": sample,
        "packages": packages,
    }
    print(json.dumps(answer), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
