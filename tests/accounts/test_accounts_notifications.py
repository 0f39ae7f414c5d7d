"""A person's notification preferences: set on their own page, audited, refused for someone without
a role or with an unknown language."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from evqms.accounts import services
from evqms.accounts.models import NotificationPreference
from evqms.audit.models import AuditEvent
from evqms.errors import InputError, PermissionDenied

pytestmark = pytest.mark.django_db


def test_defaults_are_both_on_in_the_sites_language(make_user):
    user = make_user("qa-n1", "qa_reviewer")
    pref = services.notification_preference(user)
    assert (pref.digest, pref.immediate, pref.language, pref.pk) == (True, True, "", None)


def test_setting_them_is_audited_with_before_and_after(make_user):
    user = make_user("qa-n2", "qa_reviewer")
    services.set_notification_preferences(actor=user, digest=False, immediate=True, language="en")
    pref = NotificationPreference.objects.get(user=user)
    assert (pref.digest, pref.immediate, pref.language) == (False, True, "en")
    event = AuditEvent.objects.filter(action="notification_preference.set").latest("id")
    assert event.actor_id == user.pk
    before, after = json.loads(event.before), json.loads(event.after)
    assert before["digest"] is True and after["digest"] is False
    assert after == {"user": "qa-n2", "digest": False, "immediate": True, "language": "en"}


def test_an_unknown_language_names_the_field_and_a_person_without_a_role_is_refused(make_user):
    user = make_user("qa-n3", "qa_reviewer")
    with pytest.raises(InputError) as caught:
        services.set_notification_preferences(actor=user, digest=True, immediate=True, language="fr")
    assert caught.value.where == "language"
    nobody = make_user("norole-n4", "operator")
    nobody.groups.clear()
    nobody.refresh_from_db()
    with pytest.raises(PermissionDenied):
        services.set_notification_preferences(actor=nobody, digest=False, immediate=False)
    assert not NotificationPreference.objects.exists()


def test_the_page_turns_both_off_and_back_on(make_user):
    user = make_user("phys-n5", "physician")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    page = client.get("/accounts/notifications/")
    assert page.status_code == 200 and 'id="no-address"' in page.content.decode()
    response = client.post("/accounts/notifications/", {"language": "ja"})  # both boxes unticked
    assert response.status_code == 302
    pref = NotificationPreference.objects.get(user=user)
    assert (pref.digest, pref.immediate, pref.language) == (False, False, "ja")
    client.post("/accounts/notifications/", {"digest": "on", "immediate": "on", "language": ""})
    pref.refresh_from_db()
    assert (pref.digest, pref.immediate, pref.language) == (True, True, "")
    assert client.post("/accounts/notifications/", {"language": "xx"}).status_code == 400
