"""Pleiades National Data Portal and long-term archive."""

from zope.i18nmessageid import MessageFactory

import logging


PACKAGE_NAME = "belspo.pleiades"

_ = MessageFactory(PACKAGE_NAME)

logger = logging.getLogger(PACKAGE_NAME)
