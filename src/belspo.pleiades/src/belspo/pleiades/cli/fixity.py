"""Audit the archive of one instance: ``pleiades-fixity``.

Loads Zope on the instance (the same profile as ``pleiades-run``), walks every
Product and checks that its package blob file exists and still has the
SHA-256 recorded at ingest, and that its quicklook and thumbnail files exist.
Prints a progress bar and a summary, writes a JSON report with ``--report``,
and exits 1 if anything is missing or corrupted. An audit writes nothing to
the database: ``--record`` appends a ``fixity`` event to each product's
``fixity_history``.
"""

from belspo.pleiades.cli import CommandError
from belspo.pleiades.cli.instance import gather_settings
from belspo.pleiades.cli.run import ADMIN_NAME
from belspo.pleiades.cli.run import admin_password
from belspo.pleiades.cli.run import start_zope
from belspo.pleiades.preservation.verify import blob_path
from belspo.pleiades.preservation.verify import sha256_file
from belspo.pleiades.preservation.verify import write_json_atomically
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from datetime import UTC
from pathlib import Path
from tqdm import tqdm

import argparse
import sys
import time


PACKAGE = "package"
IMAGES = ("quicklook", "thumbnail")
RECORD_EVERY = 500  # products per transaction with --record
GC_EVERY = 1000  # products between two cache collections


@dataclass
class BlobCheck:
    """What was found of one blob file of a product."""

    product: str  # its path in the portal
    field: str
    status: str  # ok, missing, corrupted, absent (no such field value)
    oid: bytes | None = None
    tid: bytes | None = None
    path: Path | None = None
    recorded: str | None = None
    actual: str | None = None
    size: int = 0

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def as_problem(self) -> dict:
        """The check as a report's ``problems`` entry."""
        if self.status == "missing":
            detail = f"{self.product}: the {self.field} blob file is missing"
        elif self.status == "corrupted":
            detail = (
                f"{self.product}: the {self.field} has SHA-256 {self.actual}, "
                f"{self.recorded} was recorded"
            )
        else:
            detail = f"{self.product}: {self.status} {self.field}"
        return {
            "kind": self.status,
            "detail": detail,
            "oid": self.oid.hex() if self.oid else None,
            "path": str(self.path) if self.path else None,
            "product": self.product,
            "field": self.field,
        }


def blob_of(product, field: str):
    """The ZODB blob behind one of a product's file fields, or None."""
    return getattr(getattr(product, field, None), "_blob", None)


def locate(product, field: str) -> BlobCheck:
    """Where the blob file of a product's field should be; status still unknown."""
    where = product.absolute_url_path()
    blob = blob_of(product, field)
    if blob is None or blob._p_oid is None:
        return BlobCheck(where, field, "absent")
    # Not blob._p_activate(): loading a blob whose file is missing raises. The
    # record's serial is the transaction that wrote the file.
    connection = blob._p_jar
    _data, serial = getattr(connection, "_storage", connection.db().storage).load(
        blob._p_oid
    )
    path = blob_path(connection.db().storage, blob._p_oid, serial)
    return BlobCheck(where, field, "unknown", blob._p_oid, serial, path)


def check_product(product) -> list[BlobCheck]:
    """Check a product's package against its checksum and that its images exist."""
    checks = []
    package = locate(product, PACKAGE)
    package.recorded = getattr(product, "package_sha256", None)
    if package.status != "absent":
        try:
            package.actual, package.size = sha256_file(package.path)
        except FileNotFoundError:
            package.status = "missing"
        else:
            if not package.recorded:
                package.status = "unrecorded"
            elif package.actual == package.recorded:
                package.status = "ok"
            else:
                package.status = "corrupted"
    checks.append(package)
    for field in IMAGES:
        image = locate(product, field)
        if image.status != "absent":
            image.status = "ok" if image.path.is_file() else "missing"
        checks.append(image)
    return checks


def products(portal):
    """Every Product of the portal, loaded one at a time."""
    catalog = portal.portal_catalog
    brains = catalog.unrestrictedSearchResults(portal_type="Product", sort_on="path")
    for number, brain in enumerate(brains, 1):
        try:
            yield brain._unrestrictedGetObject()
        except (KeyError, AttributeError):
            continue  # a stale catalog entry: not an archived file
        if number % GC_EVERY == 0:
            portal._p_jar.cacheGC()


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def fixity_event(event: str, sha256: str | None, ok: bool, **extra) -> dict:
    """An entry of a product's ``fixity_history``."""
    return {"date": now(), "event": event, "sha256": sha256, "ok": ok, **extra}


def record(product, checks: list[BlobCheck]) -> None:
    """Append the audit's outcome to the product's fixity history."""
    package = checks[0]
    ok = all(check.status in ("ok", "absent") for check in checks)
    history = list(getattr(product, "fixity_history", None) or [])
    history.append(fixity_event("fixity", package.actual, ok))
    product.fixity_history = history


def audit(portal, progress: bool = True, record_events: bool = False) -> dict:
    """Check every product; return the report (``problems`` lists the damage)."""
    import transaction

    started = time.monotonic()
    report = {"started": now(), "products": 0, "bytes_verified": 0}
    statuses = Counter()
    problems = []
    bar = tqdm(products(portal), unit="product", disable=not progress, file=sys.stderr)
    with bar:
        for product in bar:
            checks = check_product(product)
            report["products"] += 1
            for check in checks:
                statuses[check.status] += 1
                report["bytes_verified"] += check.size
                if check.status not in ("ok", "absent"):
                    problems.append(check.as_problem())
            if record_events:
                record(product, checks)
                if report["products"] % RECORD_EVERY == 0:
                    transaction.get().note("pleiades-fixity")
                    transaction.commit()
    if record_events:
        transaction.get().note("pleiades-fixity")
        transaction.commit()
    report.update(
        {
            "finished": now(),
            "duration_s": round(time.monotonic() - started, 3),
            "files": dict(statuses),
            "problems": problems,
            "status": "failed" if problems else "ok",
        }
    )
    return report


def summary(report: dict) -> str:
    """What was found, for the operator."""
    files = report["files"]
    megabytes = report["bytes_verified"] / 1e6
    rate = megabytes / max(report["duration_s"], 1e-9)
    lines = [
        f"{report['products']} products checked in {report['duration_s']:.1f} s "
        f"({megabytes:.1f} MB read, {rate:.1f} MB/s): "
        f"{files.get('ok', 0)} files ok, {files.get('missing', 0)} missing, "
        f"{files.get('corrupted', 0)} corrupted"
    ]
    lines += [
        f"  {problem['kind']}: {problem['detail']}" for problem in report["problems"]
    ]
    return "\n".join(lines)


def instance_arguments(parser: argparse.ArgumentParser) -> None:
    """The options naming an instance, as for ``pleiades-ingest``."""
    parser.add_argument("--profile", default="development")
    parser.add_argument("--profiles-dir", type=Path, default=Path("profiles"))
    parser.add_argument("--instance", type=Path, default=Path("instance"))
    parser.add_argument("--site-id", default="Plone")
    parser.add_argument("--no-progress", action="store_true")


def main(argv: list[str] | None = None) -> int:
    """Check the archive's files against their checksums (``pleiades-fixity``)."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--report", type=Path, help="write the JSON report there")
    parser.add_argument(
        "--record",
        action="store_true",
        help="append a fixity event to every product's history (writes)",
    )
    instance_arguments(parser)
    args = parser.parse_args(argv)
    instance = args.instance.resolve()
    try:
        start_zope(
            args.profiles_dir / args.profile, instance, gather_settings(instance, {})
        )
        from belspo.pleiades.cli.site import open_portal

        import Zope2

        try:
            with open_portal(
                args.site_id, ADMIN_NAME, admin_password(instance)
            ) as portal:
                report = audit(portal, not args.no_progress, args.record)
        except LookupError:
            raise CommandError(f"no site {args.site_id!r} in {instance}") from None
        finally:
            Zope2.DB.close()
    except CommandError as error:
        print(f"pleiades-fixity: {error}", file=sys.stderr)
        return 2
    report.update(
        {"instance": str(instance), "profile": args.profile, "site_id": args.site_id}
    )
    if args.report:
        write_json_atomically(args.report, report)
    print(summary(report), flush=True)
    return 1 if report["problems"] else 0
