"""Generate an instance's ``etc/`` from a deployment profile.

A profile is a folder of templates (``profiles/<name>/*.in``) with ``@{name}``
placeholders, so that ZConfig's own ``$NAME`` and paste's ``%(here)s`` pass
through. Values come from defaults, the environment (``PLEIADES_<NAME>``) and the
command line. Plain Python: no Zope import, so it runs before Zope is configured.
"""

from belspo.pleiades.cli import CommandError
from pathlib import Path
from string import Template

import argparse
import os
import re
import sys


class ProfileTemplate(Template):
    """A template whose only placeholders are ``@{name}``; ``@@`` is a literal ``@``."""

    delimiter = "@"
    pattern = r"""
    @(?:
      (?P<escaped>@) |
      {(?P<braced>[a-z_][a-z0-9_]*)} |
      (?P<named>(?!)) |
      (?P<invalid>(?!))
    )
    """


# What each setting is, for the error shown when a profile needs one that is unset.
SETTINGS_HELP = {
    "dsn": "the PostgreSQL DSN of the portal's database, e.g. "
    "export PLEIADES_DSN='dbname=pleiades host=127.0.0.1 user=postgres'",
    "blob_dir": "the blob directory shared by all Zope processes, e.g. "
    "export PLEIADES_BLOB_DIR=/srv/pleiades/blobs",
    "backup_dir": "the backup volume's directory, e.g. "
    "export PLEIADES_BACKUP_DIR=/srv/pleiades-backup",
    "backup_dsn": "the PostgreSQL DSN of the backup's database, e.g. "
    "export PLEIADES_BACKUP_DSN='dbname=pleiades_backup host=127.0.0.1 user=postgres'",
}


def default_settings(instance: Path) -> dict[str, str]:
    """Return the settings a profile may use, before the environment's."""
    return {
        "instance": str(instance),
        "host": "127.0.0.1",
        "port": "8080",
        "threads": "4",
        "blob_dir": str(instance / "var" / "blobstorage"),
        "backup_dir": str(instance / "var" / "backup"),
    }


def settings_from_environment(environ=os.environ) -> dict[str, str]:
    """Return the ``PLEIADES_<NAME>`` variables as settings ``<name>``."""
    return {
        key[len("PLEIADES_") :].lower(): value
        for key, value in environ.items()
        if key.startswith("PLEIADES_") and value
    }


def placeholders(text: str) -> set[str]:
    """Return the names of the ``@{name}`` placeholders in a template."""
    return {m.group("braced") for m in ProfileTemplate.pattern.finditer(text)} - {None}


def check_directories(names: set[str], settings: dict[str, str], instance: Path):
    """Make the ``*_dir`` folders inside the instance; require those outside it.

    A folder outside the instance is a volume (shared blobs, backup): creating it
    would hide that it is not mounted.
    """
    for name in sorted(n for n in names if n.endswith("_dir")):
        folder = Path(settings[name])
        if folder.is_dir():
            continue
        if folder.resolve().is_relative_to(instance.resolve()):
            folder.mkdir(parents=True)
            continue
        raise CommandError(
            f"PLEIADES_{name.upper()}={folder} does not exist: mount the volume or "
            f"create the folder first ({SETTINGS_HELP.get(name, name)})"
        )


def profile_templates(profile_dir: Path) -> dict[str, Path]:
    """Return a profile's templates by target file name.

    Templates in ``profiles/`` are shared by every profile; a profile's own
    template of the same name replaces the shared one.

    :raises CommandError: when the profile does not exist.
    """
    if not profile_dir.is_dir():
        known = sorted(p.name for p in profile_dir.parent.iterdir() if p.is_dir())
        raise CommandError(
            f"no deployment profile {profile_dir.name!r} in {profile_dir.parent} "
            f"(known profiles: {', '.join(known)})"
        )
    templates = [*profile_dir.parent.glob("*.in"), *profile_dir.glob("*.in")]
    return {path.name[: -len(".in")]: path for path in templates}


def render_profile(
    profile_dir: Path, instance: Path, settings: dict[str, str]
) -> set[str]:
    """Write ``instance/etc/<file>`` for every ``<file>.in`` of a profile.

    :param profile_dir: the profile folder, e.g. ``profiles/development``.
    :param instance: the instance home; ``etc/`` and ``var/`` are made in it.
    :param settings: the values of the placeholders.
    :returns: the names of the settings the profile used.
    :raises CommandError: when the profile does not exist or needs an unset value.
    """
    etc = instance / "etc"
    etc.mkdir(parents=True, exist_ok=True)
    used = set()
    for name, template in sorted(profile_templates(profile_dir).items()):
        text = template.read_text()
        names = placeholders(text)
        missing = sorted(n for n in names if n not in settings)
        if missing:
            hints = "; ".join(
                f"PLEIADES_{n.upper()}: {SETTINGS_HELP.get(n, 'not set')}"
                for n in missing
            )
            raise CommandError(
                f"profile {profile_dir.name!r} needs {', '.join(missing)} ({hints})"
            )
        check_directories(names, settings, instance)
        values = dict(settings)
        if name.endswith(".conf"):
            # ZConfig reads "$" as a substitution: keep values literal.
            values = {k: v.replace("$", "$$") for k, v in values.items()}
        rendered = ProfileTemplate(text).substitute(values)
        target = etc / name
        if not target.exists() or target.read_text() != rendered:
            target.write_text(rendered)
        used |= names
    for folder in ("var/log", "var/cache"):
        (instance / folder).mkdir(parents=True, exist_ok=True)
    return used


def gather_settings(instance: Path, overrides: dict[str, str]) -> dict[str, str]:
    """Return a profile's settings: defaults, then ``PLEIADES_*``, then overrides."""
    settings = default_settings(instance)
    settings.update(settings_from_environment())
    settings.update(overrides)
    return settings


def main(argv: list[str] | None = None) -> int:
    """Generate ``etc/`` of an instance from a profile (``pleiades-instance``)."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--profile", default="development")
    parser.add_argument("--profiles-dir", type=Path, default=Path("profiles"))
    parser.add_argument("--instance", type=Path, default=Path("instance"))
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a setting, overriding PLEIADES_<NAME> from the environment",
    )
    args = parser.parse_args(argv)
    instance = args.instance.resolve()
    overrides = {}
    for item in args.set:
        name, sep, value = item.partition("=")
        if not sep or not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
            parser.error(f"--set wants NAME=VALUE, got {item!r}")
        overrides[name] = value
    profile_dir = args.profiles_dir / args.profile
    try:
        render_profile(profile_dir, instance, gather_settings(instance, overrides))
    except CommandError as error:
        print(f"pleiades-instance: {error}", file=sys.stderr)
        return 2
    for name in sorted(profile_templates(profile_dir)):
        print(instance / "etc" / name)
    return 0
