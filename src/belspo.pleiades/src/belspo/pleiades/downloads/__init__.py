"""Package downloads without Zope: HTTP ranges and validators, the bounded file
the server streams, and the download log (plain Python, tested in milliseconds)."""
