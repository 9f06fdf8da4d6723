"""Repair one side's damaged blob files from the other side: ``pleiades-repair``.

``pleiades-repair --instance A --profile P --from-instance B --from-profile Q``
audits A as ``pleiades-fixity`` does. For each blob file of a product that is
missing or corrupted on A, it takes the same file on B: the two sides are
transaction copies, so the same object at the same transaction has its file at
the same place under each blob directory (B's database is asked to confirm the
transaction). The copy is checked before it is used — a package against the
SHA-256 recorded at ingest, an image by decoding it at its recorded size —
then written to a temporary file beside the damaged one, fsynced, checked
again as written, and renamed into place. An unverified copy never replaces
anything.

Every repair (and every refusal) is a line of ``var/repairs.jsonl`` in A, and a
``repair`` event in the product's ``fixity_history``. Exit 1 if something could
not be repaired. ``--dry-run`` checks and says what it would do, writing
nothing.
"""

from belspo.pleiades.cli import CommandError
from belspo.pleiades.cli.fixity import BlobCheck
from belspo.pleiades.cli.fixity import check_product
from belspo.pleiades.cli.fixity import fixity_event
from belspo.pleiades.cli.fixity import instance_arguments
from belspo.pleiades.cli.fixity import now
from belspo.pleiades.cli.fixity import PACKAGE
from belspo.pleiades.cli.fixity import products
from belspo.pleiades.cli.instance import gather_settings
from belspo.pleiades.cli.instance import render_profile
from belspo.pleiades.cli.run import ADMIN_NAME
from belspo.pleiades.cli.run import admin_password
from belspo.pleiades.cli.run import start_zope
from belspo.pleiades.ingest.durability import blob_directories
from belspo.pleiades.preservation.verify import CHUNK
from belspo.pleiades.preservation.verify import sha256_file
from dataclasses import dataclass
from pathlib import Path
from ZODB.POSException import POSKeyError

import argparse
import hashlib
import json
import os
import stat
import sys
import time


LOG = Path("var") / "repairs.jsonl"


class Refused(Exception):
    """The other side has no good copy of a file: nothing was changed."""


@dataclass
class Source:
    """The other side: its storage (read-only) and blob directory."""

    storage: object
    blob_dir: Path
    instance: Path

    def counterpart(self, damaged: BlobCheck, blob_dir: Path) -> Path:
        """The same blob file on this side, after checking it is the same revision.

        :raises Refused: when this side does not have that revision of the object.
        """
        try:
            _data, serial = self.storage.load(damaged.oid)
        except POSKeyError:
            raise Refused(
                f"{self.instance} has no object {damaged.oid.hex()}"
            ) from None
        if serial != damaged.tid:
            raise Refused(
                f"{self.instance} has object {damaged.oid.hex()} at transaction "
                f"{serial.hex()}, not {damaged.tid.hex()}"
            )
        return self.blob_dir / damaged.path.relative_to(blob_dir)


def open_source(profiles_dir: Path, profile: str, instance: Path) -> Source:
    """Open the other side's storage read-only, without loading its Zope."""
    from belspo.pleiades.preservation.storages import open_storage

    render_profile(profiles_dir / profile, instance, gather_settings(instance, {}))
    opened = open_storage(instance / "etc" / "zope.conf", read_only=True)
    return Source(opened.storage, opened.blob_dir, instance)


def expected(product, damaged: BlobCheck):
    """A check of a good copy: raises Refused unless the file is the right one."""
    if damaged.field == PACKAGE:
        recorded = product.package_sha256

        def check(path: Path) -> str:
            actual, _size = sha256_file(path)
            if actual != recorded:
                raise Refused(
                    f"{path} has SHA-256 {actual}, {recorded} was recorded: "
                    "damaged on this side too"
                )
            return actual

        return check
    image = getattr(product, damaged.field)
    size = (getattr(image, "_width", None), getattr(image, "_height", None))

    def check_image(path: Path) -> str:
        from PIL import Image

        try:
            with Image.open(path) as opened:
                opened.verify()
                found = opened.size
        except Exception as error:  # noqa: BLE001 - any decoding failure
            raise Refused(f"{path} is not a readable image: {error}") from None
        if None not in size and found != size:
            raise Refused(f"{path} is {found[0]}x{found[1]}, not {size[0]}x{size[1]}")
        return sha256_file(path)[0]

    return check_image


def copy_verified(source: Path, target: Path, check) -> tuple[str, int]:
    """Put a verified copy of ``source`` at ``target``: temporary file, fsync, rename.

    :returns: the SHA-256 and size of what was written.
    :raises Refused: when the copy fails its check; ``target`` is left as it was.
    """
    check(source)  # before writing anything
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.repair-{os.getpid()}")
    digest = hashlib.sha256()
    size = 0
    try:
        with open(source, "rb") as reader, open(temporary, "wb") as writer:
            while chunk := reader.read(CHUNK):
                writer.write(chunk)
                digest.update(chunk)
                size += len(chunk)
            writer.flush()
            os.fsync(writer.fileno())
        written = check(temporary)  # what is on this side's disk now
        if written != digest.hexdigest():
            raise Refused(f"{source} changed while it was copied")
        os.chmod(temporary, stat.S_IMODE(os.stat(source).st_mode))  # as ZODB left it
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    directory = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    return written, size


def log(path: Path, entry: dict) -> None:
    """Append an entry to the repair log and make it durable."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as stream:
        stream.write(json.dumps(entry) + "\n")
        stream.flush()
        os.fsync(stream.fileno())


def repair(portal, source: Source, log_path: Path, dry_run: bool) -> list[dict]:
    """Repair every damaged blob file of the portal's products; return the outcomes."""
    import transaction

    storage = portal._p_jar.db().storage
    blob_dir = Path(blob_directories(storage).base_dir)
    outcomes = []
    for product in products(portal):
        for damaged in check_product(product):
            if damaged.status not in ("missing", "corrupted"):
                continue
            entry = {
                "date": now(),
                "product": damaged.product,
                "field": damaged.field,
                "damage": damaged.status,
                "oid": damaged.oid.hex(),
                "tid": damaged.tid.hex(),
                "path": str(damaged.path),
            }
            try:
                good = source.counterpart(damaged, blob_dir)
                entry["from"] = str(good)
                check = expected(product, damaged)
                if dry_run:
                    entry["sha256"] = check(good)
                    entry["status"] = "would repair"
                else:
                    entry["sha256"], entry["bytes"] = copy_verified(
                        good, damaged.path, check
                    )
                    entry["status"] = "repaired"
            except (Refused, OSError) as error:
                entry["status"] = "refused"
                entry["detail"] = str(error)
            outcomes.append(entry)
            if dry_run:
                continue
            log(log_path, entry)
            history = list(getattr(product, "fixity_history", None) or [])
            history.append(
                fixity_event(
                    "repair",
                    entry.get("sha256"),
                    entry["status"] == "repaired",
                    detail=f"{damaged.field} ({damaged.status}) "
                    + (
                        f"restored from {entry['from']}"
                        if entry["status"] == "repaired"
                        else f"not repaired: {entry['detail']}"
                    ),
                )
            )
            product.fixity_history = history
            transaction.get().note(f"pleiades-repair {damaged.product}")
            transaction.commit()
    return outcomes


def summary(outcomes: list[dict], elapsed: float, dry_run: bool) -> str:
    """What was repaired, and what could not be."""
    done = "would repair" if dry_run else "repaired"
    repaired = sum(o["status"] == done for o in outcomes)
    refused = [o for o in outcomes if o["status"] == "refused"]
    lines = [
        f"{len(outcomes)} damaged files found in {elapsed:.1f} s: "
        f"{repaired} {done}, {len(refused)} not repairable"
    ]
    for outcome in outcomes:
        lines.append(
            f"  {outcome['status']}: {outcome['product']} {outcome['field']} "
            f"({outcome['damage']})"
            + (f": {outcome['detail']}" if "detail" in outcome else "")
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Restore damaged blob files from the other side (``pleiades-repair``)."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument(
        "--from-instance", type=Path, required=True, help="the side with good copies"
    )
    parser.add_argument(
        "--from-profile", required=True, help="the deployment profile of that side"
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="say what would be repaired; write nothing",
    )
    instance_arguments(parser)
    args = parser.parse_args(argv)
    started = time.monotonic()
    instance = args.instance.resolve()
    other = args.from_instance.resolve()
    if other == instance:
        parser.error("--from-instance must be the other side")
    try:
        source = open_source(args.profiles_dir, args.from_profile, other)
        try:
            start_zope(
                args.profiles_dir / args.profile,
                instance,
                gather_settings(instance, {}),
            )
            from belspo.pleiades.cli.site import open_portal

            import Zope2

            try:
                with open_portal(
                    args.site_id, ADMIN_NAME, admin_password(instance)
                ) as portal:
                    outcomes = repair(portal, source, instance / LOG, args.dry_run)
            except LookupError:
                raise CommandError(f"no site {args.site_id!r} in {instance}") from None
            finally:
                Zope2.DB.close()
        finally:
            source.storage.close()
    except CommandError as error:
        print(f"pleiades-repair: {error}", file=sys.stderr)
        return 2
    print(summary(outcomes, time.monotonic() - started, args.dry_run), flush=True)
    return 1 if any(o["status"] == "refused" for o in outcomes) else 0
