"""Fixtures shared with tests/reports: lots taken to a given state with the services."""

from lot_state_fixtures import *  # noqa: F403  (pytest finds the fixtures by name)
