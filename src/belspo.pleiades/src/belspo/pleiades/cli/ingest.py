"""Archive deliveries from the command line: ``pleiades-ingest PATH...``.

Works on the instance's configuration (the same profile as ``pleiades-run``), so
on SQLite and PostgreSQL alike, next to a running portal. With ``--watch DIR`` it
keeps watching a drop folder and archives each delivery once it has stopped
changing, for unattended operation.
"""

from belspo.pleiades.cli import CommandError
from belspo.pleiades.cli.instance import gather_settings
from belspo.pleiades.cli.run import ADMIN_NAME
from belspo.pleiades.cli.run import admin_password
from belspo.pleiades.cli.run import start_zope
from collections import Counter
from pathlib import Path
from tqdm import tqdm

import argparse
import signal
import sys
import time


MARKERS = ("VOL_", "DIM_")


def is_delivery(path: Path) -> bool:
    """A zip, or a folder with a volume document or product folders at its top."""
    if path.is_file():
        return path.suffix.lower() == ".zip"
    if not path.is_dir():
        return False
    for child in path.iterdir():
        name = child.name.upper()
        if name.startswith(MARKERS):
            return True
        if child.is_dir() and name.startswith("IMG_"):
            return any(p.name.upper().startswith("DIM_") for p in child.iterdir())
    return False


def deliveries(paths: list[Path]) -> list[Path]:
    """The deliveries named: each path is one, or a folder of them.

    :raises CommandError: for a path that does not exist.
    """
    found = []
    for path in paths:
        if not path.exists():
            raise CommandError(f"{path}: no such file or folder")
        if is_delivery(path):
            found.append(path)
        else:
            found += sorted(p for p in path.iterdir() if not p.name.startswith("."))
    return found


def summary(outcomes: list, elapsed: float, working: float) -> str:
    """What was done, for the operator: counts, rate, and what to look at."""
    counts = Counter(o.status for o in outcomes)
    products = sum(len(o.products) for o in outcomes)
    size = sum(o.size for o in outcomes if o.status == "ingested")
    lines = [
        f"{len(outcomes)} deliveries in {elapsed:.1f} s: "
        f"{counts['ingested']} ingested ({products} products, "
        f"{size / 1e6:.1f} MB, {products / max(working, 1e-9):.1f} products/s), "
        f"{counts['unchanged']} already archived, "
        f"{counts['quarantined']} quarantined"
    ]
    for outcome in outcomes:
        if outcome.status == "quarantined":
            lines.append(f"  quarantined {outcome.delivery}: {outcome.message}")
        for warning in outcome.warnings:
            lines.append(f"  to check: {warning}")
    return "\n".join(lines)


def run(ingester, paths: list[Path], progress: bool = True) -> list:
    """Ingest deliveries one by one with a progress bar."""
    outcomes = []
    with tqdm(paths, unit="delivery", disable=not progress, file=sys.stderr) as bar:
        for path in bar:
            bar.set_postfix_str(path.name[-40:])
            outcomes.append(ingester.ingest(path))
    return outcomes


class _Stopping:
    """Set by SIGTERM or Ctrl-C: finish the delivery in hand, then stop."""

    requested = False

    @classmethod
    def request(cls, signum, frame) -> None:
        cls.requested = True


def watch(ingester, folder: Path, interval: float, settle: float, once: bool) -> list:
    """Archive what lands in folder, once it has stopped changing."""
    seen: dict[Path, tuple[tuple, float]] = {}
    outcomes = []
    signal.signal(signal.SIGTERM, _Stopping.request)
    signal.signal(signal.SIGINT, _Stopping.request)
    print(f"pleiades-ingest: watching {folder}", flush=True)
    while not _Stopping.requested:
        now = time.monotonic()
        ready = []
        for path in sorted(folder.iterdir()):
            if path.name.startswith(".") or path.suffix in (".part", ".tmp"):
                continue
            try:
                state = _state(path)
            except FileNotFoundError:  # taken away while we looked
                continue
            previous = seen.get(path)
            if previous is None or previous[0] != state:
                seen[path] = (state, now)
            elif now - previous[1] >= settle:
                ready.append(path)
        seen = {path: value for path, value in seen.items() if path.exists()}
        for path in ready:
            if _Stopping.requested:
                break
            outcome = ingester.ingest(path)
            seen.pop(path, None)
            outcomes.append(outcome)
            print(
                f"{outcome.status}: {outcome.delivery} {outcome.message}".rstrip(),
                flush=True,
            )
        if once and not seen:
            break
        _sleep(interval)
    return outcomes


def _sleep(seconds: float) -> None:
    """Sleep, waking early when a stop is requested."""
    deadline = time.monotonic() + seconds
    while not _Stopping.requested and time.monotonic() < deadline:
        time.sleep(min(0.2, seconds))


def _state(path: Path) -> tuple:
    """Size and modification time of a file or of everything in a folder."""
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    return tuple(
        sorted((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in files)
    )


def main(argv: list[str] | None = None) -> int:
    """Archive deliveries (``pleiades-ingest PATH...``), or watch a drop folder."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument(
        "paths", nargs="*", type=Path, help="deliveries, or folders of them"
    )
    parser.add_argument("--watch", type=Path, help="a drop folder to watch")
    parser.add_argument(
        "--interval", type=float, default=10.0, help="seconds between looks"
    )
    parser.add_argument(
        "--settle",
        type=float,
        default=30.0,
        help="seconds a delivery must stay unchanged before it is taken",
    )
    parser.add_argument(
        "--once",
        action="store_true",
        help="with --watch: stop when the drop folder is empty",
    )
    parser.add_argument(
        "--quarantine", type=Path, help="default instance/var/ingest/quarantine"
    )
    parser.add_argument(
        "--keep", action="store_true", help="leave archived deliveries where they are"
    )
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument("--profile", default="development")
    parser.add_argument("--profiles-dir", type=Path, default=Path("profiles"))
    parser.add_argument("--instance", type=Path, default=Path("instance"))
    parser.add_argument("--site-id", default="Plone")
    args = parser.parse_args(argv)
    if not args.paths and not args.watch:
        parser.error("give deliveries to archive, or --watch DROP_FOLDER")
    started = time.monotonic()
    instance = args.instance.resolve()
    quarantine = args.quarantine or instance / "var" / "ingest" / "quarantine"
    try:
        paths = deliveries(args.paths)
        if args.watch and not args.watch.is_dir():
            raise CommandError(f"{args.watch}: not a folder to watch")
        start_zope(
            args.profiles_dir / args.profile, instance, gather_settings(instance, {})
        )
        from belspo.pleiades.cli.site import open_portal
        from belspo.pleiades.ingest.pipeline import Ingester

        import Zope2

        try:
            with open_portal(
                args.site_id, ADMIN_NAME, admin_password(instance)
            ) as portal:
                ingester = Ingester(portal, quarantine, remove_delivered=not args.keep)
                ingester.recover()
                working = time.monotonic()
                outcomes = run(ingester, paths, progress=not args.no_progress)
                if args.watch:
                    outcomes += watch(
                        ingester, args.watch, args.interval, args.settle, args.once
                    )
                working = time.monotonic() - working
        except LookupError:
            raise CommandError(
                f"no site {args.site_id!r} in this instance yet: "
                "start the portal once (make run)"
            ) from None
        finally:
            Zope2.DB.close()
    except CommandError as error:
        print(f"pleiades-ingest: {error}", file=sys.stderr)
        return 2
    print(summary(outcomes, time.monotonic() - started, working), flush=True)
    return 1 if any(o.status == "quarantined" for o in outcomes) else 0
