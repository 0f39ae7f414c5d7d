import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def english():
    """Messages are asserted in English (the site's default language is Japanese)."""
    with translation.override("en"):
        yield
