"""Ingest deliveries into the portal: one delivery, one transaction, once.

``Ingester.ingest(path)`` archives a delivery (a folder or a zip as the
distributor sends it): every product document (``DIM_*.XML``) becomes a
``Product`` with its metadata, footprint, quicklook, thumbnail and package, linked
to the request it answers. Everything is committed together or not at all; a
refused delivery goes to the quarantine folder with a report, and a delivery
already archived is a no-op. Subclasses override the hook methods to adapt
what is created.
"""

from belspo.pleiades.dimap import DimapError
from belspo.pleiades.dimap import MAX_DOCUMENT_SIZE
from belspo.pleiades.dimap import Metadata
from belspo.pleiades.dimap import read_dimap
from belspo.pleiades.geo.footprint import FootprintError
from belspo.pleiades.geo.footprint import parse_footprint
from belspo.pleiades.ingest import images
from belspo.pleiades.ingest.durability import BlobFsync
from belspo.pleiades.ingest.durability import Journal
from belspo.pleiades.ingest.package import build_package
from belspo.pleiades.ingest.package import check_zip
from belspo.pleiades.ingest.package import DeliveryError
from belspo.pleiades.ingest.package import folder_sources
from belspo.pleiades.ingest.package import fsync_path
from belspo.pleiades.ingest.package import hash_zip
from belspo.pleiades.ingest.package import Limits
from belspo.pleiades.ingest.package import Package
from belspo.pleiades.ingest.package import safe_member_path
from belspo.pleiades.vocabularies import MISSIONS
from belspo.pleiades.vocabularies import PROCESSING_LEVELS
from belspo.pleiades.vocabularies import SPECTRAL_MODES
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from datetime import UTC
from functools import partial
from io import BytesIO
from pathlib import Path
from pathlib import PurePosixPath
from plone import api
from plone.i18n.normalizer import idnormalizer
from plone.namedfile.file import NamedBlobFile
from plone.namedfile.file import NamedBlobImage
from z3c.relationfield import RelationValue
from ZODB.utils import oid_repr
from zope.component import getUtility
from zope.event import notify
from zope.intid.interfaces import IIntIds
from zope.lifecycleevent import ObjectModifiedEvent

import errno
import json
import logging
import os
import shutil
import traceback
import transaction
import uuid
import zipfile


logger = logging.getLogger("belspo.pleiades.ingest")

IMAGE_SUFFIXES = (".tif", ".tiff", ".jp2")


def naive_utc(moment: datetime | None) -> datetime | None:
    """A datetime as the schema's Datetime fields store it: naive, in UTC."""
    return moment and moment.astimezone(UTC).replace(tzinfo=None)


@dataclass
class Outcome:
    """What became of one delivery."""

    delivery: str
    status: str  # ingested, unchanged, quarantined
    products: list[str] = field(default_factory=list)
    message: str = ""
    warnings: list[str] = field(default_factory=list)
    size: int = 0


@dataclass
class ProductFiles:
    """One product of a delivery: its document and the files to archive."""

    name: str  # the product folder, relative to the delivery
    document: bytes
    document_name: str
    sources: list[tuple[str, object]]  # (path in the package, opener)


class Delivery:
    """A delivery opened for reading: a folder, or a zip checked to be safe."""

    def __init__(self, path: Path, limits: Limits):
        self.path = path
        self.zip = None
        if path.is_dir():
            self.files = dict(folder_sources(path))
        elif path.suffix.lower() == ".zip" or zipfile.is_zipfile(path):
            self.infos = check_zip(path, limits)
            self.zip = zipfile.ZipFile(path)
            self.files = {
                info.filename: partial(self.zip.open, info)
                for info in self.infos
                if not info.is_dir()
            }
        elif path.exists():
            raise DeliveryError(f"{path.name}: neither a folder nor a zip")
        else:
            raise DeliveryError(f"{path}: no such delivery")

    def close(self) -> None:
        if self.zip is not None:
            self.zip.close()

    def products(self) -> list[ProductFiles]:
        """Every product document with the files of its folder."""
        documents = sorted(
            name
            for name in self.files
            if PurePosixPath(name).name.upper().startswith("DIM_")
            and name.upper().endswith(".XML")
        )
        if not documents:
            raise DeliveryError(
                f"{self.path.name}: no DIMAP product document (DIM_*.XML)"
            )
        folders = {PurePosixPath(d).parent for d in documents}
        volumes = [
            name
            for name in self.files
            if PurePosixPath(name).name.upper().startswith("VOL_")
            and PurePosixPath(name).parent not in folders
        ]
        products = []
        for document in documents:
            folder = PurePosixPath(document).parent
            members = [
                name
                for name in self.files
                if PurePosixPath(name).is_relative_to(folder) or name in volumes
            ]
            products.append(
                ProductFiles(
                    name=str(folder),
                    document=self.read(document),
                    document_name=document,
                    sources=[(n, self.files[n]) for n in sorted(members)],
                )
            )
        return products

    def read(self, name: str) -> bytes:
        """A small file of the delivery (a DIMAP document), size-checked."""
        with self.files[name]() as handle:
            data = handle.read(MAX_DOCUMENT_SIZE + 1)
        if len(data) > MAX_DOCUMENT_SIZE:
            raise DeliveryError(f"{name}: larger than {MAX_DOCUMENT_SIZE} bytes")
        return data

    def open_member(self, product: ProductFiles, href: str):
        """Open a file a product document refers to, relative to its folder."""
        name = str(PurePosixPath(product.name) / safe_member_path(href))
        if name not in self.files:
            raise KeyError(href)
        return self.files[name]()


class Ingester:
    """Archive deliveries in a portal's catalogue."""

    folder_id = "catalogue"

    def __init__(
        self,
        portal,
        quarantine: Path,
        limits: Limits | None = None,
        remove_delivered: bool = True,
    ):
        self.portal = portal
        self.quarantine_dir = Path(quarantine)
        self.limits = limits or Limits()
        self.remove_delivered = remove_delivered
        self.storage = portal._p_jar.db().storage
        self.staging = Path(self.storage.temporaryDirectory()) / "pleiades-ingest"
        self.staging.mkdir(parents=True, exist_ok=True)
        self.journal = Journal(self.staging / "journal.jsonl")
        self.new_blobs: list[bytes] = []  # of the delivery being archived

    # The run

    def recover(self) -> int:
        """Clean up after an ingest that was killed; call before ingesting."""
        removed = self.journal.recover(self.storage)
        for leftover in self.staging.iterdir():
            if leftover != self.journal.path:
                leftover.unlink()
                removed += 1
        return removed

    def ingest(self, path: Path) -> Outcome:
        """Archive one delivery, or quarantine it with a report; never raise."""
        path = Path(path)
        transaction.begin()
        try:
            outcome = self.archive(path)
            transaction.get().note(f"ingest {path.name}")
            transaction.commit()
        except Exception as error:  # noqa: BLE001 - every failure is quarantined
            transaction.abort()
            self.journal.recover(self.storage)
            return self.quarantine(path, error)
        self.journal.clear()
        if self.remove_delivered:
            self.remove(path)
        return outcome

    def archive(self, path: Path) -> Outcome:
        """Create the delivery's products in the current transaction."""
        delivery = Delivery(path, self.limits)
        try:
            outcome = Outcome(delivery=path.name, status="unchanged")
            products = delivery.products()
            # Every catalog lookup before any content is created: a search
            # flushes the indexing queue, which would index products half made.
            looked_up = []
            for files in products:
                metadata = self.metadata(files)
                looked_up.append(
                    (
                        files,
                        metadata,
                        self.existing(metadata),
                        self.find_request(metadata),
                    )
                )
            self.new_blobs = []
            for files, metadata, existing, request in looked_up:
                created = self.archive_product(
                    delivery, files, len(products), metadata, existing, request, outcome
                )
                if created is not None:
                    outcome.products.append(created.absolute_url_path())
                    outcome.status = "ingested"
            if self.new_blobs:
                transaction.get().join(BlobFsync(self.storage, self.new_blobs))
            return outcome
        finally:
            delivery.close()

    def archive_product(
        self, delivery, files, count, metadata, existing, request, outcome
    ):
        """The Product for one product document, or None if already archived."""
        package = self.package(delivery, files, count)
        outcome.size += package.size
        if existing is not None:
            if existing.package_sha256 != package.sha256:
                raise DeliveryError(
                    f"{metadata.dataset_name} is already archived, with other "
                    f"content ({existing.absolute_url_path()})"
                )
            package.path.unlink()
            return None
        quicklook, thumbnail = self.previews(delivery, files, metadata)
        product = self.create(metadata)
        self.attach(product, package, quicklook, thumbnail, metadata)
        self.link(product, metadata, request, outcome)
        product.reindexObject()
        return product

    # Hooks

    def metadata(self, product_files: ProductFiles) -> Metadata:
        """The product document, read and checked."""
        try:
            metadata = read_dimap(
                product_files.document,
                name=PurePosixPath(product_files.document_name).stem,
            )
        except DimapError as error:
            raise DeliveryError(f"{product_files.document_name}: {error}") from None
        where = product_files.document_name
        if metadata.acquisition_date is None:
            reasons = "; ".join(metadata.warnings) or "absent"
            raise DeliveryError(f"{where}: no valid acquisition date ({reasons})")
        if metadata.acquisition_date > datetime.now(UTC):
            raise DeliveryError(f"{where}: acquisition date in the future")
        if metadata.footprint is None:
            raise DeliveryError(f"{where}: no footprint")
        try:
            parse_footprint(metadata.footprint)
        except FootprintError as error:
            raise DeliveryError(f"{where}: invalid footprint: {error}") from None
        for value, vocabulary, label in (
            (metadata.mission, MISSIONS, "mission"),
            (metadata.processing_level, PROCESSING_LEVELS, "processing level"),
            (metadata.spectral_mode, SPECTRAL_MODES, "spectral processing"),
        ):
            if value not in vocabulary:
                raise DeliveryError(f"{where}: unknown {label} {value!r}")
        return metadata

    def existing(self, metadata: Metadata):
        """The archived product with this dataset name, or None."""
        catalog = api.portal.get_tool("portal_catalog")
        brains = catalog.unrestrictedSearchResults(
            portal_type="Product", dataset_name=metadata.dataset_name
        )
        return brains[0]._unrestrictedGetObject() if brains else None

    def package(self, delivery: Delivery, product_files, count: int) -> Package:
        """The product's package, staged next to blob storage, with checksums."""
        target = self.staging / f"{uuid.uuid4().hex}.zip"
        self.journal.record(staging=str(target))
        if delivery.zip is not None and count == 1:
            # The delivery is the package: link it, read it once.
            try:
                os.link(delivery.path, target)
            except OSError as error:
                if error.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK):
                    raise
                return build_package(product_files.sources, target)
            package = hash_zip(target, delivery.infos)
            fsync_path(target)
            return package
        return build_package(product_files.sources, target)

    def previews(self, delivery, product_files, metadata) -> tuple[bytes, bytes]:
        """Quicklook and thumbnail: the delivered ones, or made from the image."""
        images_in_folder = [
            str(PurePosixPath(name).relative_to(product_files.name))
            for name, _ in product_files.sources
            if name.lower().endswith(IMAGE_SUFFIXES)
            and PurePosixPath(name).is_relative_to(product_files.name)
        ]
        errors = []
        quicklook = self.first_preview(
            delivery,
            product_files,
            [
                *metadata.files.get("quicklook", []),
                *metadata.files.get("images", []),
                *images_in_folder,
            ],
            images.QUICKLOOK_SIZE,
            errors,
        )
        if quicklook is None:
            raise DeliveryError(
                f"{product_files.document_name}: no image to make a quicklook from"
                + (f" ({'; '.join(dict.fromkeys(errors))})" if errors else "")
            )
        thumbnail = self.first_preview(
            delivery,
            product_files,
            metadata.files.get("thumbnail", []),
            images.THUMBNAIL_SIZE,
            errors,
        ) or images.preview(BytesIO(quicklook), images.THUMBNAIL_SIZE, "quicklook")
        return quicklook, thumbnail

    def first_preview(self, delivery, product_files, hrefs, size, errors):
        """A preview of the first of these files that is a readable image."""
        for href in hrefs:
            try:
                with delivery.open_member(product_files, href) as handle:
                    return images.preview(handle, size, href)
            except KeyError:
                errors.append(f"{href}: missing")
            except DeliveryError as error:
                errors.append(str(error))
        return None

    def product_id(self, metadata: Metadata) -> str:
        return idnormalizer.normalize(metadata.dataset_name, max_length=200)

    def fields(self, metadata: Metadata) -> dict:
        """The Product's field values from the document."""
        return {
            "title": metadata.dataset_name,
            "dataset_name": metadata.dataset_name,
            "mission": metadata.mission,
            "acquisition_date": naive_utc(metadata.acquisition_date),
            "processing_level": metadata.processing_level,
            "spectral_mode": metadata.spectral_mode,
            "radiometric_processing": metadata.radiometric_processing,
            "ground_sample_distance": metadata.ground_sample_distance,
            "incidence_angle": metadata.incidence_angle,
            "viewing_angle": metadata.viewing_angle,
            "azimuth_angle": metadata.azimuth_angle,
            "sun_elevation": metadata.sun_elevation,
            "sun_azimuth": metadata.sun_azimuth,
            "cloud_cover": metadata.cloud_cover,
            "snow_cover": metadata.snow_cover,
            "surface_area": metadata.surface_area,
            "crs": metadata.crs,
            "raster_width": metadata.columns,
            "raster_height": metadata.rows,
            "bands": metadata.bands,
            "bit_depth": metadata.bit_depth,
            "producer": metadata.producer,
            "job_id": metadata.job_id,
            "product_code": metadata.product_code,
            "customer_reference": metadata.customer_reference,
            "production_date": naive_utc(metadata.production_date),
            "footprint": metadata.footprint,
        }

    def create(self, metadata: Metadata):
        container = self.portal[self.folder_id]
        product_id = self.product_id(metadata)
        if product_id in container:
            raise DeliveryError(f"{product_id}: the id is taken in the catalogue")
        fields = {k: v for k, v in self.fields(metadata).items() if v is not None}
        return api.content.create(
            container=container, type="Product", id=product_id, **fields
        )

    def attach(self, product, package: Package, quicklook, thumbnail, metadata):
        """Hand the package to blob storage and record its checksums."""
        stem = product.getId()
        product.quicklook = NamedBlobImage(quicklook, filename=f"{stem}-quicklook.jpg")
        product.thumbnail = NamedBlobImage(thumbnail, filename=f"{stem}-thumbnail.jpg")
        for image in (product.quicklook, product.thumbnail):
            self.hand_over(image._blob)
        archived = NamedBlobFile(contentType="application/zip", filename=f"{stem}.zip")
        blob = archived._blob
        with blob.open("w"):
            pass  # the temporary file consumeFile will replace, named in advance
        self.hand_over(blob, staging=str(package.path))
        blob.consumeFile(str(package.path))  # a rename: no copy
        product.package = archived
        product.package_sha256 = package.sha256
        product.manifest = [entry.as_dict() for entry in package.manifest]
        product.fixity_history = [
            {
                "date": datetime.now(UTC).isoformat(timespec="seconds"),
                "event": "ingest",
                "sha256": package.sha256,
                "ok": True,
            }
        ]
        product.ingest_warnings = list(metadata.warnings)

    def hand_over(self, blob, **entry) -> None:
        """Journal a new blob's object id and files before ZODB moves them."""
        self.portal._p_jar.add(blob)  # its oid, for the journal
        self.new_blobs.append(blob._p_oid)
        self.journal.record(
            oid=oid_repr(blob._p_oid), uncommitted=blob._p_blob_uncommitted, **entry
        )

    def find_request(self, metadata: Metadata):
        """The request a product answers: by customer reference, then job id."""
        catalog = api.portal.get_tool("portal_catalog")
        queries = []
        if metadata.customer_reference:
            queries.append({"id": metadata.customer_reference})
        if metadata.job_id:
            queries.append({"distributor_reference": metadata.job_id})
        for query in queries:
            brains = catalog.unrestrictedSearchResults(
                portal_type="AcquisitionRequest", **query
            )
            if brains:
                return brains[0]._unrestrictedGetObject()
        return None

    def link(self, product, metadata: Metadata, request, outcome: Outcome) -> None:
        """Link the product to its request and mark the request acquired."""
        if request is None:
            note = (
                f"{product.getId()}: no request with customer reference "
                f"{metadata.customer_reference!r} or job id {metadata.job_id!r}"
            )
            product.ingest_warnings = [*product.ingest_warnings, note]
            outcome.warnings.append(note)
            return
        product.request = RelationValue(getUtility(IIntIds).getId(request))
        notify(ObjectModifiedEvent(product))
        if api.content.get_state(obj=request) == "programmed":
            api.portal.get_tool("portal_workflow").doActionFor(
                request, "acquire", comment=f"Delivered: {product.getId()}"
            )

    # After the transaction

    def remove(self, path: Path) -> None:
        """The delivery is archived: take it out of the inbox."""
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()

    def quarantine(self, path: Path, error: Exception) -> Outcome:
        """Move a refused delivery aside, with a report saying why."""
        expected = isinstance(error, DeliveryError | DimapError)
        message = str(error) if expected else f"{type(error).__name__}: {error}"
        logger.error("quarantined %s: %s", path.name, message)
        self.quarantine_dir.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        target = self.quarantine_dir / f"{stamp}-{path.name}"
        if path.exists():
            shutil.move(path, target)
        report = {
            "delivery": path.name,
            "moved to": str(target) if target.exists() else None,
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "error": message,
            "details": None if expected else traceback.format_exc(),
        }
        target.with_name(target.name + ".report.json").write_text(
            json.dumps(report, indent=2) + "\n"
        )
        return Outcome(delivery=path.name, status="quarantined", message=message)
