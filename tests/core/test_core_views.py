"""The view bridge: a refusal lands where the user looks, a service's PermissionDenied is a 403."""

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory

from evqms import errors
from evqms.core import views


class OnsetForm(forms.Form):
    onset = forms.DateField()
    values = forms.CharField(required=False)


def _post(data):
    request = RequestFactory().post("/x/", data)
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


def _form(request):
    return OnsetForm(request.POST)


def test_an_input_error_is_shown_on_the_field_it_names():
    request = _post({"onset": "2026-12-01"})
    form = _form(request)

    def refuse(data):
        raise errors.InputError("the onset is before the administration", where="onset")

    assert views.attempt(request, form, refuse, success="ok") is None
    assert form.errors["onset"] == ["the onset is before the administration"]
    assert not list(get_messages(request))


@pytest.mark.parametrize(
    ("where", "field"), [('field "onset"', "onset"), ("values[2].unit", "values"), ("x", None)]
)
def test_where_names_a_field_in_the_forms_services_use(where, field):
    assert views.field_for_where(OnsetForm(), where) == field


def test_a_rule_violation_is_shown_above_the_form_and_an_unknown_field_too():
    request = _post({"onset": "2026-12-01"})
    form = _form(request)

    def refuse(data):
        raise errors.RuleViolation("lot L1 is released")

    assert views.attempt(request, form, refuse, success="ok") is None
    assert form.non_field_errors() == ["lot L1 is released"]

    form = _form(request)

    def elsewhere(data):
        raise errors.InputError("no such site", where="site")

    views.attempt(request, form, elsewhere, success="ok")
    assert form.non_field_errors() == ["site: no such site"]


def test_success_flashes_and_returns_what_the_service_gave_even_none():
    request = _post({"onset": "2026-12-01"})
    done = views.attempt(request, _form(request), lambda d: None, success="Recorded.")
    assert done == views.Done(None)
    assert [str(m) for m in get_messages(request)] == ["Recorded."]


def test_the_success_message_may_name_what_the_service_made():
    request = _post({"onset": "2026-12-01"})
    views.attempt(request, _form(request), lambda d: "SH-00007", success=lambda n: f"Shipment {n} recorded.")
    assert [str(m) for m in get_messages(request)] == ["Shipment SH-00007 recorded."]


def test_a_service_permission_denied_is_a_403_and_get_runs_nothing():
    request = _post({"onset": "2026-12-01"})

    def deny(data):
        raise errors.PermissionDenied("only QA may release")

    with pytest.raises(PermissionDenied):
        views.attempt(request, _form(request), deny, success="ok")
    get = RequestFactory().get("/x/")
    assert views.attempt(get, OnsetForm(), lambda d: pytest.fail("ran on GET"), success="ok") is None


def test_a_button_refusal_becomes_an_error_message():
    request = _post({})

    def refuse():
        raise errors.RuleViolation("nothing to verify")

    assert views.act(request, refuse, success="ok") is None
    assert [(m.level_tag, str(m)) for m in get_messages(request)] == [("error", "nothing to verify")]


@pytest.mark.parametrize(("code", "lang"), [("ja", "ja"), ("ja-jp", "ja"), ("en", "en"), ("en-us", "en")])
def test_page_language(code, lang):
    request = RequestFactory().get("/")
    request.LANGUAGE_CODE = code
    assert views.page_language(request) == lang
