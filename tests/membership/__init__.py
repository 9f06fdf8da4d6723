"""Tests of the user community\x27s membership."""
