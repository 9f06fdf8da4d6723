"""One pinned set: every installed distribution is pinned in constraints.txt."""

from .pins import constraint_pins as pins
from .pins import normalise
from importlib import metadata


def test_every_installed_distribution_is_pinned(repository):
    pinned = pins(repository)
    installed = {
        normalise(d.metadata["Name"]): d.version for d in metadata.distributions()
    }
    installed.pop("belspo-pleiades")
    differing = {
        name: (version, pinned.get(name))
        for name, version in installed.items()
        if pinned.get(name) != version
    }
    assert differing == {}, "installed (version, pin) differing from constraints.txt"


def test_plone_layout_pinned_below_7(repository):
    # Unpinned, pip picks plone.app.layout 7 alphas and Zope fails at start-up.
    pinned = pins(repository)
    assert pinned["plone"] == "6.2.2"
    assert pinned["plone-app-layout"].startswith("6.")
