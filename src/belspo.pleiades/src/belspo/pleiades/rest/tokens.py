"""Tokens from ``POST @login``, accepted as ``Authorization: Bearer`` until logout.

plone.restapi's JWT plugin (installed by its profile, on which ours depends)
accepts every token it signed until the token expires (12 hours), even after
``@logout``, unless it keeps the tokens it issued (``store_tokens``). The
portal keeps them, so that ``@logout`` ends a token at once. A user's expired
tokens are dropped when that user logs in again, so what is kept stays as
short as the tokens in use.

``@logout`` is plone.restapi's, with one thing added: like ``@login`` and
``@login-renew``, it tells plone.protect that its write (the token removed) is
intended. Without that, plone.protect aborts the transaction of the POST and
the token stays valid.
"""

from BTrees.OOBTree import OOBTree
from plone.protect.interfaces import IDisableCSRFProtection
from plone.restapi.services.auth.logout import Logout
from plone.restapi.setuphandlers import install_pas_plugin
from Products.PluggableAuthService.interfaces.plugins import IAuthenticationPlugin
from Products.PluggableAuthService.interfaces.plugins import IExtractionPlugin
from zope.component.hooks import getSite
from zope.interface import alsoProvides

import time


PLUGIN_ID = "jwt_auth"


def token_plugin(portal):
    """The portal's JWT authentication plugin, or None."""
    return portal.acl_users._getOb(PLUGIN_ID, None)


def keep_issued_tokens(portal) -> None:
    """Make token authentication active on the portal, with tokens ``@logout`` ends.

    :param portal: the Plone site.
    """
    if token_plugin(portal) is None:
        install_pas_plugin(portal)
    plugin = token_plugin(portal)
    registry = portal.acl_users.plugins
    for interface in (IAuthenticationPlugin, IExtractionPlugin):
        if PLUGIN_ID not in registry.listPluginIds(interface):
            registry.activatePlugin(interface, PLUGIN_ID)
    plugin.store_tokens = True
    if plugin._tokens is None:
        plugin._tokens = OOBTree()


def drop_expired_tokens(event) -> None:
    """On a login, forget the tokens of that user that have expired."""
    site = getSite()
    plugin = token_plugin(site) if site is not None else None
    if plugin is None or not plugin.store_tokens or not plugin._tokens:
        return
    issued = plugin._tokens.get(event.object.getId())
    if not issued or not plugin.token_timeout:
        return
    oldest_valid = time.time() - plugin.token_timeout
    for token in [token for token, when in issued.items() if when < oldest_valid]:
        del issued[token]


class LogoutService(Logout):
    """``POST @logout``: the token of the request ends now."""

    def reply(self):
        alsoProvides(self.request, IDisableCSRFProtection)
        return super().reply()
