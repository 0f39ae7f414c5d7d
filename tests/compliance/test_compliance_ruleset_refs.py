"""A page takes a rule set by id only: a path typed into the form never makes the server read a file."""

import pytest

from evqms.guidance import ruleset as rulesets
from evqms.testing import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def qa(client, make_user):
    user = make_user("qa", "qa_reviewer")
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return user


@pytest.fixture
def no_file_read(monkeypatch):
    real = rulesets.load_ruleset_file
    reads = []

    def guarded(path):
        reads.append(str(path))
        if "secret" in str(path):
            pytest.fail(f"the server read {path}")
        return real(path)

    monkeypatch.setattr(rulesets, "load_ruleset_file", guarded)
    return reads


def test_assess_refuses_a_path_and_names_the_known_rule_sets(client, qa, no_file_read, tmp_path):
    product = factories.product()
    secret = tmp_path / "secret.yaml"
    secret.write_text("id: x\n")
    response = client.post(f"/compliance/{product.code}/assess/", {"ruleset": str(secret)}, follow=True)
    assert response.status_code == 200
    text = response.content.decode()
    assert (
        "Not assessed: " in text
        and "unknown rule set" in text
        and "available: " in text
        and rulesets.DEFAULT in text
    )
    assert not product.assessments.exists()


def test_attest_refuses_a_path(client, qa, no_file_read, tmp_path):
    product = factories.product()
    response = client.post(
        f"/compliance/{product.code}/attest/", {"ruleset": str(tmp_path / "secret.yml")}, follow=True
    )
    assert response.status_code == 200 and "Not attested: unknown rule set" in response.content.decode()


def test_the_page_answers_404_for_a_rule_set_that_neither_exists_nor_was_assessed(client, qa, no_file_read):
    product = factories.product()
    assert client.get(f"/compliance/{product.code}/?ruleset=/etc/secret.yaml").status_code == 404
    assert client.get(f"/compliance/{product.code}/?ruleset={rulesets.DEFAULT}").status_code == 200
