"""1001 -> 1002: the content model (types, workflows, indexes, folders)."""

from belspo.pleiades.setuphandlers import add_footprint_index
from belspo.pleiades.setuphandlers import create_folders
from belspo.pleiades.upgrades import PROFILE_ID


def add_content_model(setup):
    """Import the types, workflows, catalog and roles; create the folders."""
    for step in ("rolemap", "typeinfo", "workflow", "catalog"):
        setup.runImportStepFromProfile(f"profile-{PROFILE_ID}", step)
    add_footprint_index()
    create_folders()
