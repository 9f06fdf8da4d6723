"""1004 -> 1005: the tokens @login issues are kept, so that @logout ends them."""

from belspo.pleiades.rest.tokens import token_plugin
from belspo.pleiades.upgrades import PROFILE_ID
from belspo.pleiades.upgrades import upgrade_to_latest


def test_issued_tokens_kept(portal, setup_tool):
    plugin = token_plugin(portal)
    plugin.store_tokens = False
    plugin._tokens = None
    setup_tool.setLastVersionForProfile(PROFILE_ID, "1004")
    upgrade_to_latest(setup_tool)
    assert plugin.store_tokens is True
    assert plugin._tokens is not None
    assert setup_tool.getLastVersionForProfile(PROFILE_ID) >= ("1005",)
