"""Export archived products as BagIt bags: ``pleiades-export-bag``.

One bag per product, in a directory named after its dataset name: ``data/``
holds the files of the archived package (extracted, at their manifest paths)
and ``data/metadata/`` the product's fields (``product.json``) and its
provenance (``provenance.json``: ingest, verifications, repairs, the request
it answers). The package's SHA-256 and every extracted file's SHA-256 are
checked against what was recorded at ingest before the bag exists: a bag is
built in a temporary directory beside its target and renamed into place only
when complete and verified, so a refused product leaves nothing behind.
"""

from belspo.pleiades.cli import CommandError
from belspo.pleiades.ingest.package import check_zip
from belspo.pleiades.ingest.package import DeliveryError
from belspo.pleiades.ingest.package import safe_member_path
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from datetime import UTC
from pathlib import Path
from tqdm import tqdm

import argparse
import hashlib
import importlib.metadata
import json
import logging
import re
import shutil
import sys
import tempfile
import time
import zipfile


CHUNK = 1 << 20
ORGANIZATION = "BELSPO"
METADATA_DIR = "metadata"  # under data/, beside the package's files
SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")


class BagRefused(Exception):
    """A product that cannot be exported as it is; the message says why."""


@dataclass
class ProductRecord:
    """What a bag is made of, read from one product (no Zope objects)."""

    dataset_name: str
    package: Path  # the archived package (a zip)
    package_sha256: str
    manifest: list[dict]  # [{path, size, sha256}]
    metadata: dict  # data/metadata/product.json
    provenance: dict  # data/metadata/provenance.json
    bag_info: dict = field(default_factory=dict)  # extra bag-info.txt tags


# Pure part: files in, bag out


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def bag_name(dataset_name: str) -> str:
    """The bag's directory name: the dataset name, if it is a safe file name.

    :raises BagRefused: for a name that could escape the output directory.
    """
    if not SAFE_NAME.fullmatch(dataset_name or ""):
        raise BagRefused(f"dataset name {dataset_name!r} is not a safe directory name")
    return dataset_name


def extract_verified(package: Path, manifest: list[dict], target: Path) -> int:
    """Extract the package's files into target, each checked against the manifest.

    :returns: the number of bytes extracted.
    :raises BagRefused: for a damaged or unsafe zip, or a file that is missing,
        unexpected, or differs from its manifest entry.
    """
    expected = {entry["path"]: entry for entry in manifest}
    try:
        infos = [i for i in check_zip(package) if not i.is_dir()]
    except DeliveryError as error:
        raise BagRefused(f"package: {error}") from None
    names = {info.filename for info in infos}
    missing = sorted(set(expected) - names)
    unexpected = sorted(names - set(expected))
    if missing or unexpected:
        raise BagRefused(
            f"package and manifest differ: missing {missing[:5]}, "
            f"not in the manifest {unexpected[:5]}"
        )
    total = 0
    with zipfile.ZipFile(package) as archive:
        for info in infos:
            relative = safe_member_path(info.filename)
            if relative.parts[0] == METADATA_DIR:
                raise BagRefused(
                    f"{info.filename}: clashes with the bag's data/{METADATA_DIR}/"
                )
            destination = target.joinpath(*relative.parts)
            destination.parent.mkdir(parents=True, exist_ok=True)
            digest, size = hashlib.sha256(), 0
            try:
                with archive.open(info) as source, open(destination, "xb") as out:
                    while chunk := source.read(CHUNK):
                        digest.update(chunk)
                        size += len(chunk)
                        out.write(chunk)
            except (zipfile.BadZipFile, OSError, EOFError) as error:
                raise BagRefused(f"{info.filename}: unreadable ({error})") from None
            entry = expected[info.filename]
            if size != entry["size"] or digest.hexdigest() != entry["sha256"]:
                raise BagRefused(
                    f"{info.filename}: SHA-256 {digest.hexdigest()} ({size} bytes), "
                    f"manifest says {entry['sha256']} ({entry['size']} bytes)"
                )
            total += size
    return total


def write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "x", encoding="utf-8") as stream:
        json.dump(data, stream, indent=2, ensure_ascii=False, sort_keys=True)
        stream.write("\n")


def write_bag(record: ProductRecord, output: Path, processes: int = 1) -> Path:
    """Write record as a bag ``output/<dataset name>``; return its path.

    :raises BagRefused: if the package or a file differs from its recorded
        SHA-256, or the bag exists already; nothing is left in output then.
    """
    import bagit

    logging.getLogger("bagit").setLevel(logging.WARNING)  # not a line per file
    name = bag_name(record.dataset_name)
    final = output / name
    if final.exists():
        raise BagRefused(f"{final} exists already")
    actual = file_sha256(record.package)
    if actual != record.package_sha256:
        raise BagRefused(
            f"package SHA-256 is {actual}, recorded {record.package_sha256}"
        )
    work = Path(tempfile.mkdtemp(prefix=f".{name}.", suffix=".partial", dir=output))
    try:
        work.chmod(0o755)  # not mkdtemp's 0700: bagit gives data/ the same mode
        size = extract_verified(record.package, record.manifest, work)
        write_json(work / METADATA_DIR / "product.json", record.metadata)
        write_json(work / METADATA_DIR / "provenance.json", record.provenance)
        info = {
            "Source-Organization": ORGANIZATION,
            "External-Identifier": record.dataset_name,
            "Bagging-Date": date.today().isoformat(),
            "Bag-Size": f"{size / 1e6:.1f} MB",
            **record.bag_info,
        }
        bag = bagit.make_bag(str(work), info, processes=processes, checksums=["sha256"])
        # What bagit read back from disk is what the manifest recorded.
        for entry in record.manifest:
            found = bag.entries.get(f"data/{entry['path']}", {}).get("sha256")
            if found != entry["sha256"]:
                raise BagRefused(f"{entry['path']}: written as {found} on disk")
        work.rename(final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return final


# Zope part: products to records


def jsonable(value):
    """A field value as JSON: dates in ISO 8601, relations and files described."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if hasattr(value, "ISO8601"):  # Zope's DateTime
        return value.ISO8601()
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, set | frozenset):
        return sorted(jsonable(item) for item in value)
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    if hasattr(value, "to_object"):  # a RelationValue
        return describe(value.to_object) or {"broken": True, "to_id": value.to_id}
    if hasattr(value, "getSize") and hasattr(value, "filename"):  # a file
        return {
            "filename": value.filename,
            "content_type": value.contentType,
            "size": value.getSize(),
        }
    if hasattr(value, "raw"):  # RichTextValue
        return value.raw
    return str(value)


def describe(obj) -> dict | None:
    """Who an object is: uid, id, path, type, title, review state."""
    if obj is None:
        return None
    from plone import api

    return {
        "uid": api.content.get_uuid(obj),
        "id": obj.getId(),
        "path": "/".join(obj.getPhysicalPath()),
        "portal_type": obj.portal_type,
        "title": obj.Title(),
        "review_state": api.content.get_state(obj, default=None),
    }


def all_fields(obj) -> dict:
    """Every field of every schema of a Dexterity object (behaviors included)."""
    from plone.dexterity.utils import iterSchemata
    from zope.schema import getFieldsInOrder

    values = {}
    for schema in iterSchemata(obj):
        adapted = schema(obj, None) or obj
        for name, _field in getFieldsInOrder(schema):
            values[name] = jsonable(getattr(adapted, name, None))
    return values


def history(obj) -> list[dict]:
    """The object's workflow history: who did what, when."""
    events = []
    for workflow, entries in (getattr(obj, "workflow_history", None) or {}).items():
        for entry in entries:
            events.append({"workflow": workflow, **jsonable(dict(entry))})
    return events


def product_record(product) -> ProductRecord:
    """What the bag of a product is made of."""
    blob = product.package and product.package._blob
    if blob is None:
        raise BagRefused("no archived package")
    metadata = {
        "object": {
            **describe(product),
            "created": jsonable(product.created()),
            "modified": jsonable(product.modified()),
        },
        "fields": all_fields(product),
    }
    fixity = list(product.fixity_history or [])
    request = product.request.to_object if product.request else None
    provenance = {
        "dataset_name": product.dataset_name,
        "product": describe(product),
        "ingest": {
            "events": [e for e in fixity if e.get("event") == "ingest"],
            "created": jsonable(product.created()),
            "warnings": list(product.ingest_warnings or []),
            "producer": product.producer,
            "job_id": product.job_id,
            "customer_reference": product.customer_reference,
            "production_date": jsonable(product.production_date),
        },
        "verifications": [
            e
            for e in fixity
            if e.get("event") != "ingest" and "repair" not in str(e.get("event"))
        ],
        "repairs": [e for e in fixity if "repair" in str(e.get("event"))],
        "fixity_history": fixity,
        "workflow_history": history(product),
        "request": request
        and {
            "object": describe(request),
            "fields": all_fields(request),
            "workflow_history": history(request),
        },
        "export": {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "software": "belspo.pleiades "
            + importlib.metadata.version("belspo.pleiades"),
        },
    }
    bag_info = {
        "External-Description": (
            f"Pleiades product {product.dataset_name} ({product.mission}, "
            f"{product.processing_level}, {product.spectral_mode}), "
            f"acquired {jsonable(product.acquisition_date)} UTC"
        ),
        "Internal-Sender-Identifier": "/".join(product.getPhysicalPath()),
        "Pleiades-Package-SHA256": product.package_sha256,
    }
    if product.customer_reference:
        bag_info["Bag-Group-Identifier"] = product.customer_reference
    return ProductRecord(
        dataset_name=product.dataset_name,
        package=Path(blob.committed()),
        package_sha256=product.package_sha256,
        manifest=list(product.manifest or []),
        metadata=metadata,
        provenance=provenance,
        bag_info=bag_info,
    )


def find_products(portal, names: list[str]) -> list:
    """The products named by id or dataset name; all of them for no names.

    :raises CommandError: for a name no product has.
    """
    catalog = portal.portal_catalog
    if not names:
        brains = catalog.unrestrictedSearchResults(portal_type="Product", sort_on="id")
        return [brain._unrestrictedGetObject() for brain in brains]
    products, unknown = [], []
    for name in names:
        brains = catalog.unrestrictedSearchResults(
            portal_type="Product", dataset_name=name
        ) or catalog.unrestrictedSearchResults(portal_type="Product", id=name)
        if brains:
            products.append(brains[0]._unrestrictedGetObject())
        else:
            unknown.append(name)
    if unknown:
        raise CommandError(f"no product with id or dataset name {', '.join(unknown)}")
    return products


def export(portal, names: list[str], output: Path, progress: bool) -> tuple:
    """Bag the products; return (bags written, [(product, reason)] refused)."""
    products = find_products(portal, names)
    written, refused = [], []
    bar = tqdm(products, unit="product", disable=not progress, file=sys.stderr)
    for product in bar:
        bar.set_postfix_str(product.getId()[-40:])
        name = product.dataset_name or product.getId()
        try:
            written.append(write_bag(product_record(product), output))
        except BagRefused as error:
            refused.append((name, str(error)))
        portal._p_jar.cacheMinimize()
    return written, refused


def main(argv: list[str] | None = None) -> int:
    """Export products as BagIt bags (``pleiades-export-bag --output DIR [ID...]``)."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument(
        "products",
        nargs="*",
        metavar="PRODUCT",
        help="product ids or dataset names (default: every product)",
    )
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument("--profile", default="development")
    parser.add_argument("--profiles-dir", type=Path, default=Path("profiles"))
    parser.add_argument("--instance", type=Path, default=Path("instance"))
    parser.add_argument("--site-id", default="Plone")
    args = parser.parse_args(argv)
    started = time.monotonic()
    instance = args.instance.resolve()
    output = args.output.resolve()
    try:
        output.mkdir(parents=True, exist_ok=True)
        from belspo.pleiades.cli.instance import gather_settings
        from belspo.pleiades.cli.run import ADMIN_NAME
        from belspo.pleiades.cli.run import admin_password
        from belspo.pleiades.cli.run import start_zope

        start_zope(
            args.profiles_dir / args.profile, instance, gather_settings(instance, {})
        )
        from belspo.pleiades.cli.site import open_portal

        import Zope2

        try:
            with open_portal(
                args.site_id, ADMIN_NAME, admin_password(instance)
            ) as portal:
                written, refused = export(
                    portal, args.products, output, progress=not args.no_progress
                )
        except LookupError:
            raise CommandError(f"no site {args.site_id!r} in this instance") from None
        finally:
            Zope2.DB.close()
    except CommandError as error:
        print(f"pleiades-export-bag: {error}", file=sys.stderr)
        return 2
    for path in written:
        print(f"bagged {path}")
    for name, reason in refused:
        print(f"REFUSED {name}: {reason}")
    print(
        f"{len(written)} bags written to {output}, {len(refused)} refused, "
        f"in {time.monotonic() - started:.1f} s",
        flush=True,
    )
    return 1 if refused else 0
