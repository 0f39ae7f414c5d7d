import pytest


@pytest.fixture
def client(db):
    """The test client reading English (the site's default is Japanese): tests match English messages."""
    from django.test import Client

    return Client(HTTP_ACCEPT_LANGUAGE="en")
