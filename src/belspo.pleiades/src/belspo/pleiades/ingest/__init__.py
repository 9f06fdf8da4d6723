"""Ingest: distributor deliveries into the archive."""
