"""Prove that a backup starts as a working portal: ``pleiades-restore-drill``.

The drill starts the portal on the backup instance in a subprocess
(``pleiades-run --no-create``: an empty backup fails instead of becoming a
fresh portal), fetches the home page, the newest product's page and its
package over HTTP as the Zope manager copied from the primary, stops the
portal, then loads every product and checks its package's SHA-256 against the
one recorded at ingest. It writes a JSON report and exits 0 only if all is
well.
"""

from belspo.pleiades.cli import CommandError
from belspo.pleiades.cli.run import ADMIN_NAME
from belspo.pleiades.cli.run import PASSWORD_FILE
from datetime import datetime
from datetime import UTC
from pathlib import Path
from tqdm import tqdm

import argparse
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time


CHUNK = 1 << 20
START_TIMEOUT = 300.0  # seconds for the portal to answer
STOP_TIMEOUT = 60.0
HTTP_TIMEOUT = 60.0


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def sha256_of(stream) -> tuple[str, int]:
    """The SHA-256 (hex) and size of what a binary stream holds from here on."""
    digest, size = hashlib.sha256(), 0
    while chunk := stream.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


class Portal:
    """The backup's portal in a ``pleiades-run`` subprocess."""

    def __init__(self, args, port: int, log: Path, env: dict):
        self.port = port
        self.env = env
        self.url = f"http://127.0.0.1:{port}/{args.site_id}"
        self.log = log
        self.command = [
            str(Path(sys.executable).parent / "pleiades-run"),
            "--profiles-dir",
            str(args.profiles_dir),
            "--instance",
            str(args.instance),
            "--profile",
            args.profile,
            "--site-id",
            args.site_id,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-demo",
            "--no-create",
        ]
        self.process = None

    def start(self, timeout: float = START_TIMEOUT) -> None:
        """Start it and wait until the home page answers.

        :raises CommandError: if it exits or stays silent; with its last words.
        """
        import requests

        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                self.command, stdout=log, stderr=subprocess.STDOUT, env=self.env
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise CommandError(
                    f"the portal did not start (exit {self.process.returncode}): "
                    f"{self.last_words()}"
                )
            try:
                requests.get(self.url, timeout=5)
                return
            except requests.RequestException:
                time.sleep(0.5)
        self.stop()
        raise CommandError(f"the portal did not answer within {timeout:.0f} s")

    def last_words(self, lines: int = 5) -> str:
        text = self.log.read_text(errors="replace").strip().splitlines()
        return " | ".join(text[-lines:]) or "(no output)"

    def stop(self) -> int | None:
        """Stop it as SIGTERM does (the database is closed); kill if it hangs."""
        if self.process is None or self.process.poll() is not None:
            return self.process and self.process.returncode
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait(10)


def http_checks(url: str, password: str) -> list[dict]:
    """Home page, newest product's page and package download, as the manager."""
    import requests

    session = requests.Session()
    session.auth = (ADMIN_NAME, password)
    checks = []

    def check(name: str, target: str, ok: bool, status: int | None, detail: str):
        checks.append(
            {"check": name, "url": target, "status": status, "ok": ok, "detail": detail}
        )
        return ok

    home = session.get(url, timeout=HTTP_TIMEOUT)
    check(
        "home page",
        url,
        home.status_code == 200 and "<html" in home.text.lower(),
        home.status_code,
        f"{len(home.content)} bytes",
    )
    search = session.get(
        f"{url}/@search",
        params={
            "portal_type": "Product",
            "sort_on": "created",
            "sort_order": "descending",
            "b_size": 1,
            "metadata_fields": "UID",
        },
        headers={"Accept": "application/json"},
        timeout=HTTP_TIMEOUT,
    )
    if search.status_code == 401:
        check(
            "login",
            f"{url}/@search",
            False,
            401,
            f"the password in {PASSWORD_FILE} is not the Zope manager's copied "
            "from the primary",
        )
        return checks
    if search.status_code != 200:
        check("catalogue search", search.url, False, search.status_code, "")
        return checks
    items = search.json().get("items", [])
    if not items:
        check("catalogue search", search.url, True, 200, "no product to fetch")
        return checks
    product_url = items[0]["@id"]
    page = session.get(product_url, timeout=HTTP_TIMEOUT)
    data = session.get(
        product_url, headers={"Accept": "application/json"}, timeout=HTTP_TIMEOUT
    )
    recorded = data.json().get("package_sha256") if data.status_code == 200 else None
    name = data.json().get("dataset_name") if data.status_code == 200 else None
    check(
        "product page",
        product_url,
        page.status_code == 200 and bool(name) and name in page.text,
        page.status_code,
        f"dataset {name}",
    )
    download_url = f"{product_url}/@@download/package"
    with session.get(download_url, stream=True, timeout=HTTP_TIMEOUT) as download:
        if download.status_code == 200:
            download.raw.decode_content = True
            actual, size = sha256_of(download.raw)
        else:
            actual, size = None, 0
    check(
        "product download",
        download_url,
        download.status_code == 200 and actual == recorded,
        download.status_code,
        f"{size} bytes, SHA-256 {actual} (recorded {recorded})",
    )
    return checks


def verify_products(
    zope_ini: Path, site_id: str, progress: bool
) -> tuple[int, int, int, list[dict]]:
    """Load every product and check its package against its recorded SHA-256.

    :returns: products catalogued, products checked, bytes read, failures.
    """
    from belspo.pleiades.cli.run import load_zope

    import Zope2

    load_zope(zope_ini)
    app = Zope2.app()
    failures = []
    checked = read = 0
    try:
        if site_id not in app.objectIds():
            raise CommandError(f"no site {site_id!r} in this database")
        catalog = app[site_id].portal_catalog
        brains = catalog.unrestrictedSearchResults(portal_type="Product")
        bar = tqdm(
            brains,
            total=len(brains),
            unit="product",
            disable=not progress,
            file=sys.stderr,
        )
        for brain in bar:
            path = brain.getPath()
            bar.set_postfix_str(path.rsplit("/", 1)[-1][-40:])
            name = getattr(brain, "dataset_name", None) or path
            try:
                product = brain._unrestrictedGetObject()
                name = product.dataset_name or name
                if product.package is None:
                    raise ValueError("no package")
                with product.package.open() as stream:
                    actual, size = sha256_of(stream)
                read += size
            except Exception as error:  # noqa: BLE001 - every failure is reported
                failures.append(
                    {
                        "product": name,
                        "path": path,
                        "problem": f"cannot read: {type(error).__name__}: {error}",
                    }
                )
                continue
            checked += 1
            if actual != product.package_sha256:
                failures.append(
                    {
                        "product": name,
                        "path": path,
                        "problem": f"package SHA-256 is {actual}, "
                        f"recorded {product.package_sha256}",
                    }
                )
            app._p_jar.cacheMinimize()  # constant memory over a large archive
        return len(brains), checked, read, failures
    finally:
        app._p_jar.close()
        Zope2.DB.close()


def make_snapshot(args, env: dict) -> Path | None:
    """A throwaway view of the backup for the portal to run on, or None.

    Serving pages writes to the database (portlet assignments, image scales): a
    transaction of the drill in the backup would make the next incremental copy
    skip the primary's transactions older than it. So the portal runs on a copy
    of the database (the SQLite files, or a PostgreSQL database made from the
    backup's as a template), with the blob files hard-linked (same files, no
    copy; ZODB never rewrites a blob file), in the backup volume. ``env`` is
    pointed at the copy.
    """
    from belspo.pleiades.cli.instance import gather_settings
    from belspo.pleiades.cli.instance import placeholders
    from belspo.pleiades.cli.instance import profile_templates

    templates = profile_templates(args.profiles_dir / args.profile)
    names = set().union(*(placeholders(t.read_text()) for t in templates.values()))
    if "backup_dir" not in names:
        return None
    settings = gather_settings(args.instance, {})
    volume = Path(settings["backup_dir"])
    on_postgresql = "backup_dsn" in names
    if not (volume / "blobstorage").is_dir() or not (
        on_postgresql or (volume / "sqlite").is_dir()
    ):
        return None
    snapshot = Path(tempfile.mkdtemp(prefix=".restore-drill-", dir=volume))
    try:
        if on_postgresql:
            env["PLEIADES_BACKUP_DSN"] = copy_database(
                settings["backup_dsn"], snapshot.name[1:].replace("-", "_")
            )
        else:
            shutil.copytree(volume / "sqlite", snapshot / "sqlite")
        shutil.copytree(
            volume / "blobstorage", snapshot / "blobstorage", copy_function=os.link
        )
    except BaseException:
        drop_snapshot(snapshot, env)
        raise
    env["PLEIADES_BACKUP_DIR"] = str(snapshot)
    return snapshot


def copy_database(dsn: str, suffix: str) -> str:
    """A new database with the content of ``dsn``'s; return its DSN."""
    import psycopg2
    import psycopg2.extensions

    params = psycopg2.extensions.parse_dsn(dsn)
    source = params["dbname"]
    target = f"{source}_{suffix}"[:63]
    admin = psycopg2.connect(**{**params, "dbname": "postgres"})
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{target}" TEMPLATE "{source}"')
    finally:
        admin.close()
    return psycopg2.extensions.make_dsn(dsn, dbname=target)


def drop_snapshot(snapshot: Path, env: dict) -> None:
    """Remove the drill's copy: its files, and its database if it has one."""
    shutil.rmtree(snapshot, ignore_errors=True)
    copied = env.get("PLEIADES_BACKUP_DSN")
    if copied and snapshot.name[1:].replace("-", "_") in copied:
        import psycopg2
        import psycopg2.extensions

        params = psycopg2.extensions.parse_dsn(copied)
        admin = psycopg2.connect(**{**params, "dbname": "postgres"})
        admin.autocommit = True
        try:
            with admin.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{params["dbname"]}"')
        finally:
            admin.close()


def drill(args) -> dict:
    """Run the drill; return the report (status ``ok`` or ``failed``)."""
    started = datetime.now(UTC)
    clock = time.monotonic()
    report = {
        "started": started.isoformat(timespec="seconds"),
        "instance": str(args.instance),
        "profile": args.profile,
        "status": "failed",
        "products": 0,
        "checked": 0,
        "bytes_checked": 0,
        "failures": [],
        "http": [],
        "problems": [],
    }
    password_file = args.instance / PASSWORD_FILE
    if not password_file.exists():
        raise CommandError(
            f"{password_file} is missing: copy the primary's {PASSWORD_FILE} there "
            "(its Zope manager was copied with the data)"
        )
    password = password_file.read_text().strip()
    env = dict(os.environ)
    try:
        snapshot = make_snapshot(args, env)
    except Exception as error:  # noqa: BLE001 - a disk or a database refusing
        raise CommandError(f"cannot make the drill's snapshot: {error}") from None
    report["snapshot"] = str(snapshot) if snapshot else None
    try:
        return checked(args, report, password, env, clock)
    finally:
        if snapshot:
            drop_snapshot(snapshot, env)
            # etc/ names the snapshot: render it back for the backup itself.
            from belspo.pleiades.cli.instance import gather_settings
            from belspo.pleiades.cli.instance import render_profile

            render_profile(
                args.profiles_dir / args.profile,
                args.instance,
                gather_settings(args.instance, {}),
            )


def checked(args, report: dict, password: str, env: dict, clock: float) -> dict:
    """Start the portal, check it over HTTP, stop it, verify every product."""
    with tempfile.TemporaryDirectory(prefix="pleiades-drill-") as work:
        portal = Portal(args, free_port(), Path(work) / "portal.log", env)
        try:
            portal.start()
            report["portal_start_s"] = round(time.monotonic() - clock, 1)
            report["http"] = http_checks(portal.url, password)
        except CommandError as error:
            report["problems"].append(str(error))
        except Exception as error:  # noqa: BLE001 - the portal misbehaved over HTTP
            report["problems"].append(f"HTTP: {type(error).__name__}: {error}")
        finally:
            code = portal.stop()
        if code not in (0, None) and not report["problems"]:
            report["problems"].append(
                f"the portal stopped with exit {code}: {portal.last_words()}"
            )
    if not report["problems"]:
        zope_ini = args.instance / "etc" / "zope.ini"
        try:
            products, checked, read, failures = verify_products(
                zope_ini, args.site_id, progress=not args.no_progress
            )
        except CommandError as error:
            report["problems"].append(str(error))
        else:
            report.update(
                products=products,
                checked=checked,
                bytes_checked=read,
                failures=failures,
            )
    ok = (
        not report["problems"]
        and not report["failures"]
        and report["http"]
        and all(check["ok"] for check in report["http"])
    )
    report["status"] = "ok" if ok else "failed"
    report["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    report["duration_s"] = round(time.monotonic() - clock, 1)
    return report


def summary(report: dict) -> str:
    """The report in a few lines, for the operator."""
    lines = [
        f"restore drill {report['status'].upper()} in {report['duration_s']} s: "
        f"{report['checked']} of {report['products']} products verified "
        f"({report['bytes_checked'] / 1e6:.1f} MB), "
        f"{len(report['failures'])} failures"
    ]
    lines += [f"  problem: {problem}" for problem in report["problems"]]
    for check in report["http"]:
        mark = "ok" if check["ok"] else "FAILED"
        lines.append(
            f"  http {check['check']}: {mark} ({check['status']}) {check['detail']}"
        )
    for failure in report["failures"]:
        lines.append(f"  damaged: {failure['product']}: {failure['problem']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Start the backup as a portal and verify it (``pleiades-restore-drill``)."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--profile", default="backup")
    parser.add_argument("--profiles-dir", type=Path, default=Path("profiles"))
    parser.add_argument("--instance", type=Path, default=Path("backup-instance"))
    parser.add_argument("--site-id", default="Plone")
    parser.add_argument("--report", type=Path, help="write the JSON report here")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    args.instance = args.instance.resolve()
    args.profiles_dir = args.profiles_dir.resolve()
    try:
        if not args.instance.is_dir():
            raise CommandError(f"{args.instance}: no such instance directory")
        report = drill(args)
    except CommandError as error:
        print(f"pleiades-restore-drill: {error}", file=sys.stderr)
        return 2
    if args.report:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        temporary = args.report.with_name(f".{args.report.name}.{os.getpid()}")
        temporary.write_text(json.dumps(report, indent=2) + "\n")
        temporary.replace(args.report)
    print(summary(report), flush=True)
    return 0 if report["status"] == "ok" else 1
