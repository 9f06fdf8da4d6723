"""The user community's membership: registration, join requests, memberships' ends."""
