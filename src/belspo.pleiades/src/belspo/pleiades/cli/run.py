"""Start the portal: configure the instance, make sure the site exists, serve it.

``pleiades-run`` (what ``make run`` calls) does in one process what would otherwise
take three: it generates ``etc/`` from a deployment profile, loads Zope once, creates
the Plone site with the add-on on the first start (and applies pending upgrade steps
on the next ones), then serves it with waitress until Ctrl-C or SIGTERM.
"""

from belspo.pleiades.cli import CommandError
from belspo.pleiades.cli.instance import gather_settings
from belspo.pleiades.cli.instance import render_profile
from pathlib import Path

import argparse
import errno
import gc
import os
import secrets
import signal
import socket
import sys
import time


ADMIN_NAME = "admin"
PASSWORD_FILE = "admin-password"


def check_port_free(host: str, port: int) -> None:
    """Fail with advice when another program listens on the port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise CommandError(
                    f"port {port} on {host} is already in use (another portal "
                    "running?). Stop it, or pick another port: "
                    f"make run PORT={port + 10}"
                ) from None
            raise CommandError(f"cannot listen on {host}:{port}: {error}") from None


def check_postgresql(dsn: str) -> None:
    """Fail with advice when the PostgreSQL database of a DSN cannot be reached."""
    import psycopg2

    try:
        psycopg2.connect(dsn, connect_timeout=5).close()
    except psycopg2.OperationalError as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else "?"
        if "does not exist" in reason:
            advice = "create it first, e.g. createdb -h 127.0.0.1 -U postgres pleiades"
        else:
            advice = (
                "start PostgreSQL (pg_ctlcluster --skip-systemctl-redirect "
                "15 main start) or correct PLEIADES_DSN"
            )
        raise CommandError(
            f"PostgreSQL is not reachable with DSN {dsn!r}: {reason}. Fix: {advice}"
        ) from None


def admin_password(instance: Path) -> str:
    """Return the instance's admin password, generating it on the first start."""
    path = instance / PASSWORD_FILE
    if path.exists():
        return path.read_text().strip()
    password = secrets.token_urlsafe(12)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as stream:
        stream.write(password + "\n")
    return password


def describe_storage(used: set[str], settings: dict[str, str]) -> str:
    """Say where a profile keeps the data, for the start-up banner."""
    if "dsn" in used:
        return f"PostgreSQL {settings['dsn']!r}, blobs in {settings['blob_dir']}"
    if "backup_dir" in used:
        return f"{settings['backup_dir']} (the backup volume)"
    return f"{settings['instance']}/var"


def load_zope(zope_ini: Path):
    """Configure logging and Zope from the instance's ini; return the WSGI app."""
    from paste.deploy import loadapp

    import logging.config

    here = str(zope_ini.parent)
    logging.config.fileConfig(
        zope_ini,
        {"__file__": str(zope_ini), "here": here},
        disable_existing_loggers=False,
    )
    return loadapp(f"config:{zope_ini}")


def start_zope(profile_dir: Path, instance: Path, settings: dict[str, str]):
    """Render the profile into the instance, check its database and load Zope.

    :returns: the settings the profile uses, and the WSGI application.
    :raises CommandError: for a profile or a database that cannot be used.
    """
    used = render_profile(profile_dir, instance, settings)
    if "dsn" in used:
        check_postgresql(settings["dsn"])
    return used, load_zope(instance / "etc" / "zope.ini")


def main(argv: list[str] | None = None) -> int:
    """Start the portal (``pleiades-run``); see ``make run``."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--profile", default="development")
    parser.add_argument("--profiles-dir", type=Path, default=Path("profiles"))
    parser.add_argument("--instance", type=Path, default=Path("instance"))
    parser.add_argument("--host", default=None, help="default 127.0.0.1")
    parser.add_argument("--port", type=int, default=None, help="default 8080")
    parser.add_argument("--site-id", default="Plone")
    parser.add_argument(
        "--no-demo",
        action="store_true",
        help="create the site without demo content (a production portal)",
    )
    parser.add_argument(
        "--no-create",
        action="store_true",
        help="refuse to create a missing site or Zope manager (a restore drill)",
    )
    parser.add_argument(
        "--prepare-only",
        action="store_true",
        help="configure the instance and create the site, then exit",
    )
    args = parser.parse_args(argv)
    started = time.monotonic()
    instance = args.instance.resolve()
    overrides = {"host": args.host, "port": args.port and str(args.port)}
    settings = gather_settings(instance, {k: v for k, v in overrides.items() if v})
    host, port = settings["host"], int(settings["port"])
    try:
        if not args.prepare_only:
            check_port_free(host, port)
        used, wsgi_app = start_zope(
            args.profiles_dir / args.profile, instance, settings
        )
        password = admin_password(instance)
        from belspo.pleiades.cli.site import ensure_portal

        report = ensure_portal(
            args.site_id,
            ADMIN_NAME,
            password,
            demo=not args.no_demo,
            create=not args.no_create,
        )
    except CommandError as error:
        print(f"pleiades-run: {error}", file=sys.stderr)
        return 2
    print(report, flush=True)
    if args.prepare_only:
        return 0
    print(
        f"\nPleiades National Data Portal ({args.profile} profile) "
        f"ready in {time.monotonic() - started:.1f} s:\n"
        f"  portal:  http://{host}:{port}/{args.site_id}\n"
        f"  login:   {ADMIN_NAME} / {password}  (kept in {instance / PASSWORD_FILE})\n"
        f"  data:    {describe_storage(used, settings)}\n"
        "Press Ctrl-C to stop.",
        flush=True,
    )
    return serve(wsgi_app, instance / "etc" / "zope.ini")


def _stop(signum, frame):
    raise KeyboardInterrupt


def serve(wsgi_app, zope_ini: Path) -> int:
    """Serve with the ini's server section until Ctrl-C or SIGTERM; close the DB."""
    from paste.deploy import loadserver

    import Zope2

    # Also SIGINT: a shell starting us in the background would have it ignored.
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    server = loadserver(f"config:{zope_ini}")
    # What Zope loaded to start lives as long as the process: out of the cyclic
    # collector's sight, a full collection no longer walks it (a 200 ms pause
    # every few searches at 100 000 products; see docs/benchmarks.md).
    gc.collect()
    gc.freeze()
    try:
        server(wsgi_app)  # waitress returns on KeyboardInterrupt
    except KeyboardInterrupt:
        pass
    finally:
        Zope2.DB.close()
        print("Pleiades portal stopped; data kept.", flush=True)
    return 0
