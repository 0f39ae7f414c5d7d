"""Small database helpers that must behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from django.db import connection


def lock_for_update(queryset):
    """`select_for_update()` where the database has row locks (PostgreSQL).

    SQLite has no row locks, but our SQLite transactions are IMMEDIATE (settings), so a write
    transaction holds the database's write lock from its first statement: check-then-act is
    serialised there too.
    """
    if connection.features.has_select_for_update:
        return queryset.select_for_update()
    return queryset
