"""Reactions to events on our content."""
