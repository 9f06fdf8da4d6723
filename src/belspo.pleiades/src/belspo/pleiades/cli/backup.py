"""The nightly backup: ``pleiades-backup`` brings the backup site up to date.

It renders both instances' configurations from their profiles (the primary's,
e.g. ``development`` or ``production``, and the backup's, ``backup`` or
``backup-postgresql``), opens the two storages without loading Zope, copies
what the primary committed since the last run (RelStorage's transaction copy,
blobs included, see ``preservation/copy.py``), verifies the backup
(``preservation/verify.py``), writes the run's report as JSON and records it in
the primary portal, which mails the operators when it failed.

Exit status: 0 the backup is up to date and verified, 1 the run failed (the
report says why), 2 a usage or configuration error, 75 another run holds the
lock (try again later).
"""

from belspo.pleiades.cli import CommandError
from belspo.pleiades.cli.instance import gather_settings
from belspo.pleiades.cli.instance import render_profile
from belspo.pleiades.cli.run import check_postgresql
from belspo.pleiades.cli.run import PASSWORD_FILE
from belspo.pleiades.preservation.verify import write_json_atomically
from datetime import datetime
from datetime import UTC
from pathlib import Path
from tqdm import tqdm

import argparse
import errno
import fcntl
import logging
import os
import sys
import time


logger = logging.getLogger("belspo.pleiades.backup")

LOCK_FILE = "backup.lock"
EXIT_LOCKED = 75  # EX_TEMPFAIL: try again later
REPORTS = Path("var") / "backup-reports"
VERIFY_STATE = Path("var") / "backup-verify.json"


class Locked(Exception):
    """Another run holds the backup's lock."""


def acquire_lock(path: Path):
    """Hold the backup's lock for this process's lifetime; a kill releases it.

    :returns: the open lock file (keep a reference).
    :raises Locked: when another run holds it.
    """
    stream = open(path, "a+")  # noqa: SIM115 (held until the process ends)
    try:
        fcntl.flock(stream, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as error:
        if error.errno not in (errno.EAGAIN, errno.EACCES):
            raise
        stream.seek(0)
        holder = stream.read().strip() or "?"
        stream.close()
        raise Locked(
            f"another backup run (pid {holder}) holds {path}: not starting. "
            "Wait for it to finish; the lock goes with its process."
        ) from None
    stream.seek(0)
    stream.truncate()
    stream.write(f"{os.getpid()}\n")
    stream.flush()
    return stream


def prepare(profiles: Path, profile: str, instance: Path, dsn: str) -> Path:
    """Render an instance's configuration; return its ``etc/zope.conf``.

    :param dsn: the setting naming the profile's PostgreSQL database, if any.
    :raises CommandError: for a profile that cannot be used.
    """
    settings = gather_settings(instance, {})
    used = render_profile(profiles / profile, instance, settings)
    if dsn in used:
        try:
            check_postgresql(settings[dsn])
        except CommandError as error:
            raise CommandError(
                str(error).replace("PLEIADES_DSN", f"PLEIADES_{dsn.upper()}")
            ) from None
    return instance / "etc" / "zope.conf"


def carry_password(primary: Path, backup: Path) -> None:
    """The Zope manager's password, which the copied database knows, travels
    with it: the restore drill logs in with it."""
    source, target = primary / PASSWORD_FILE, backup / PASSWORD_FILE
    if source.exists():
        temporary = target.with_name(f".{target.name}.tmp")
        temporary.write_text(source.read_text())
        temporary.chmod(0o600)
        os.replace(temporary, target)


def now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def backup(args) -> dict:
    """Copy and verify; return the report (``status`` still to be decided)."""
    from belspo.pleiades.preservation.copy import copy
    from belspo.pleiades.preservation.storages import open_storage

    report = {"first_copy": False, "transactions": 0, "objects": 0, "blobs": 0}
    report.update({"bytes": 0, "deleted": 0, "problems": []})
    primary = open_storage(args.primary_conf, read_only=True)
    try:
        backup = open_storage(args.backup_conf)
    except BaseException:
        primary.close()
        raise
    try:
        report["primary"], report["backup"] = primary.description, backup.description
        if primary.blob_dir == backup.blob_dir or primary.description == (
            backup.description
        ):
            raise CommandError(
                f"the backup is the primary ({backup.description}): "
                "check the backup profile's settings"
            )
        with tqdm(
            unit="object", disable=args.no_progress, file=sys.stderr, leave=False
        ) as bar:
            bar.set_description("copying")
            result = copy(primary.storage, backup.storage, progress=bar)
        report.update(
            first_copy=result.first_copy,
            transactions=result.transactions,
            objects=result.objects,
            blobs=len(result.blobs),
            bytes=result.bytes,
            deleted=result.deleted,
        )
        report["problems"] += result.problems
        from belspo.pleiades.preservation.verify import verify

        checks = verify(
            primary.storage,
            backup.storage,
            result.blobs,
            args.backup_instance / VERIFY_STATE,
            args.verify_share,
            site_id=args.site_id,
        )
        report["problems"] += checks.pop("problems", [])
        report.update(checks)
    finally:
        backup.close()
        primary.close()
    return report


def failure(kind: str, error: BaseException) -> dict:
    return {"kind": kind, "detail": f"{type(error).__name__}: {error}"}


def record(zope_ini: Path, report: dict, site_id: str) -> bool:
    """Keep the report in the primary portal (and mail a failure); False if not."""
    try:
        from belspo.pleiades.preservation.records import record_run
    except ImportError as error:
        logger.warning("report not recorded in the portal: %s", error)
        return True
    try:
        record_run(zope_ini, report, site_id=site_id)
    except Exception as error:  # logged by record_run
        print(
            f"pleiades-backup: the report was not recorded in the portal: {error}",
            file=sys.stderr,
        )
        return False
    return True


def summary(report: dict, path: Path) -> str:
    """What the run did, for the operator."""
    first = " (first copy)" if report["first_copy"] else ""
    lines = [
        f"pleiades-backup: {report['status']} in {report['duration_s']:.1f} s{first}: "
        f"{report['transactions']} transactions, {report['objects']} objects, "
        f"{report['blobs']} blobs ({report['bytes'] / 1e6:.1f} MB) copied, "
        f"{report['deleted']} deleted",
    ]
    if "verified_new" in report:
        lines.append(
            f"  verified {report['verified_new']} new and "
            f"{report['verified_rolling']} older files "
            f"({report['bytes_verified'] / 1e6:.1f} MB); last transaction "
            f"{report['last_tid_primary']} (primary), "
            f"{report['last_tid_backup']} (backup); products "
            f"{report['products_primary']} (primary), "
            f"{report['products_backup']} (backup)"
        )
    for problem in report["problems"][:20]:
        where = problem.get("path") or problem.get("oid") or ""
        lines.append(f"  problem {problem['kind']}: {problem['detail']} {where}")
    if len(report["problems"]) > 20:
        lines.append(f"  ... {len(report['problems']) - 20} more in the report")
    lines.append(f"  report: {path}")
    return "\n".join(lines)


def parser() -> argparse.ArgumentParser:
    """The command line of ``pleiades-backup``."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--profiles-dir", type=Path, default=Path("profiles"))
    parser.add_argument("--instance", type=Path, default=Path("instance"))
    parser.add_argument("--profile", default="development")
    parser.add_argument("--backup-instance", type=Path, default=Path("backup-instance"))
    parser.add_argument("--backup-profile", default="backup")
    parser.add_argument(
        "--report-dir", type=Path, help="default BACKUP_INSTANCE/var/backup-reports"
    )
    parser.add_argument("--site-id", default="Plone")
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument(
        "--verify-share",
        type=float,
        default=0.05,
        help="the share of older blob files re-read each run (0.05: all in 20 runs)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Bring the backup site up to date with the primary, verify it, report."""
    options = parser()
    args = options.parse_args(argv)
    if not 0 <= args.verify_share <= 1:
        options.error("--verify-share is a share: between 0 and 1")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    clock, started = time.monotonic(), now()
    instance = args.instance.resolve()
    args.backup_instance = args.backup_instance.resolve()
    try:
        if not (instance / "var").is_dir():
            raise CommandError(
                f"{instance} is not a portal instance (no var/): "
                "give the primary's --instance"
            )
        args.backup_instance.mkdir(parents=True, exist_ok=True)
        lock = acquire_lock(args.backup_instance / LOCK_FILE)  # noqa: F841
        args.primary_conf = prepare(args.profiles_dir, args.profile, instance, "dsn")
        args.backup_conf = prepare(
            args.profiles_dir, args.backup_profile, args.backup_instance, "backup_dsn"
        )
        carry_password(instance, args.backup_instance)
    except Locked as error:
        print(f"pleiades-backup: {error}", file=sys.stderr)
        return EXIT_LOCKED
    except CommandError as error:
        print(f"pleiades-backup: {error}", file=sys.stderr)
        return 2
    try:
        report = backup(args)
    except CommandError as error:
        print(f"pleiades-backup: {error}", file=sys.stderr)
        return 2
    except Exception as error:
        logger.exception("backup run failed")
        report = {"first_copy": False, "transactions": 0, "objects": 0}
        report.update({"blobs": 0, "bytes": 0, "deleted": 0})
        report["problems"] = [{**failure("error", error), "oid": None, "path": None}]
    finished = now()
    report = {
        "run_id": iso(started),
        "started": iso(started),
        "finished": iso(finished),
        "duration_s": round(time.monotonic() - clock, 3),
        "status": "failed" if report["problems"] else "ok",
        "primary": report.get("primary", str(args.primary_conf)),
        "backup": report.get("backup", str(args.backup_conf)),
        **{k: v for k, v in report.items() if k not in ("primary", "backup")},
    }
    report_dir = args.report_dir or args.backup_instance / REPORTS
    path = report_dir.resolve() / f"{report['run_id']}.json"
    write_json_atomically(path, report)
    recorded = record(instance / "etc" / "zope.ini", report, args.site_id)
    print(summary(report, path), flush=True)
    return 0 if report["status"] == "ok" and recorded else 1
