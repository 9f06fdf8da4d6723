"""E-mail notifications: the people concerned are told of each request's step."""
