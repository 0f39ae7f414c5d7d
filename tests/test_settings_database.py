"""The database connection is kept between requests, as a server's worker serves them (Django's
handler, not the test client, which never closes it): opening a SQLite connection and closing it
took 4.5 ms, more than a third of the lightest page."""

from __future__ import annotations

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.test import RequestFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _serve(handler: WSGIHandler, path: str) -> int:
    environ = RequestFactory()._base_environ(PATH_INFO=path, REQUEST_METHOD="GET")
    status = []
    response = handler(environ, lambda s, headers, exc_info=None: status.append(s))
    b"".join(response)
    response.close()  # request_finished: where Django closes a connection it does not keep
    return int(status[0].split()[0])


def test_a_worker_keeps_its_connection_between_requests():
    handler = WSGIHandler()
    connection.ensure_connection()  # as a worker's first request that read the database leaves it
    kept = connection.connection
    for _ in range(2):
        assert _serve(handler, "/accounts/login/") == 200
        assert connection.connection is kept
