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


def counts(**querysets) -> dict[str, int]:
    """How many rows each queryset has, in one statement: `counts(open=qs1, late=qs2)`.

    A dashboard card asks several counts; each `.count()` is a round trip and Django's aggregation
    work (cloning and wrapping the query), which summed to most of the dashboard's time. Here each
    queryset is compiled once, as its ids, and counted by a scalar subquery of one SELECT.
    """
    if not querysets:
        return {}
    parts, params = [], []
    for i, queryset in enumerate(querysets.values()):
        sql, sql_params = queryset.order_by().values("pk").query.get_compiler(connection=connection).as_sql()
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) counted_{i})")
        params.extend(sql_params)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        row = cursor.fetchone()
    return dict(zip(querysets, row, strict=True))
