"""The one door through the append-only triggers: purging whole test databases.

The audit and signature tables reject UPDATE always, and DELETE unless purging is switched on
for the connection: on PostgreSQL the session setting `evqms.allow_purge = on`, on SQLite the
SQL function `evqms_purge_allowed()` that evqms registers on its own connections (a connection
opened by another program has no such function, so its DELETE fails too). Only the test suite
switches it on, to empty its database between tests; nothing in the application does.

A session setting is something any role can set, so on PostgreSQL the triggers honour it only for
a member of the table's owner (audit migration 0003): the role migrations and the test suite use.
The application's own role (evqms.audit.dbroles) is refused whatever it sets, and has no DELETE,
UPDATE or TRUNCATE privilege on those tables in the first place.
"""

from __future__ import annotations

PURGE_ALLOWED = False


def register_sqlite_function(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function("evqms_purge_allowed", 0, lambda: int(PURGE_ALLOWED))


def set_purge_allowed(connection, allowed: bool) -> None:
    global PURGE_ALLOWED
    PURGE_ALLOWED = allowed
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT set_config('evqms.allow_purge', %s, false)", ["on" if allowed else "off"])
