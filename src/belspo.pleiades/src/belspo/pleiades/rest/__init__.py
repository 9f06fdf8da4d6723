"""plone.restapi services of the portal."""
