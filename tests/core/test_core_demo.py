"""core.demo: the request the demo loaders hand to services that sign."""

from evqms.core.demo import signing_request


def test_signing_request_is_a_post_from_the_loopback_on_the_given_path():
    request = signing_request("/lots/demo/")
    assert request.method == "POST"
    assert request.path == "/lots/demo/"
    assert request.META["REMOTE_ADDR"] == "127.0.0.1"
