"""Command-line programs of the portal (console scripts ``pleiades-*``)."""


class CommandError(Exception):
    """A failure the user can fix; its message says what failed and how to fix it."""
