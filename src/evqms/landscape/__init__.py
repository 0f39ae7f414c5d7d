"""Landscape monitor: trials, literature and the clinic survey (pure core; Django app beside it)."""
