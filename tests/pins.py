"""Reading the pins of constraints.txt, for the tests that compare against them."""

from pathlib import Path

import re


def normalise(name: str) -> str:
    """Return a distribution name in its PEP 503 normal form."""
    return re.sub(r"[-_.]+", "-", name).lower()


def constraint_pins(repository: Path) -> dict[str, str]:
    """Return constraints.txt as {normalised name: version}."""
    pins = {}
    for line in (repository / "constraints.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, sep, version = line.partition("==")
            assert sep, f"constraints.txt: not a name==version pin: {line!r}"
            pins[normalise(name.strip())] = version.strip()
    return pins
