"""Classic UI views, viewlets and static resources of the portal."""
