"""The bridge from a page to a service, the same in every app.

A view checks the read or write permission (`require`), runs the service for a valid form
(`attempt`) or for a button without a form (`act`), and on refusal shows the service's message
where the user looks: next to the field an InputError names, else above the form, else as a
flash message. A service's PermissionDenied becomes Django's 403. `page_language` is the one
answer to "is this page Japanese or English" for code that must pick a language itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.utils.translation import get_language

from evqms import errors


def require(request, perm: str) -> None:
    """403 unless the signed-in user holds `perm` (the menu and dashboard ask the same name)."""
    if not request.user.has_perm(perm):
        raise PermissionDenied


def page_language(request=None) -> str:
    """'ja' or 'en': the language the page is rendered in (Japanese when nothing says otherwise)."""
    lang = getattr(request, "LANGUAGE_CODE", None) or get_language() or "ja"
    return "ja" if lang.startswith("ja") else "en"


_WHERE_FIELD = re.compile(r'field "([^"]+)"')


def field_for_where(form, where: str | None) -> str | None:
    """The form field a service's `where` names ('onset', 'field "dose"', 'values[2].unit' when the
    form calls it 'values'), or None: then the refusal belongs to the whole form."""
    if not where:
        return None
    match = _WHERE_FIELD.search(where)
    name = match.group(1) if match else where.strip()
    if name in form.fields:
        return name
    base = re.split(r"[\[.]", name, maxsplit=1)[0]
    return base if base in form.fields else None


def show_refusal(form, exc: Exception, *, field_for=field_for_where) -> None:
    """Put a service's refusal on the form: an InputError next to the field it names, anything else
    above the form. `field_for` maps a `where` to a field for forms that name fields differently."""
    if isinstance(exc, errors.InputError):
        field = field_for(form, exc.where)
        form.add_error(field, exc.message if field else str(exc))
    else:
        form.add_error(None, str(exc))


@dataclass(frozen=True)
class Done:
    """A service call that succeeded, with what it returned (which may be None)."""

    result: Any


def attempt(request, form, action, *, success, field_for=field_for_where) -> Done | None:
    """On a POST with a valid form run `action(form.cleaned_data)`: flash `success` (a text, or a
    function of the result when the message names what the service made, e.g. a shipment's number)
    and return Done(result); on refusal put it on the form and return None (also for GET or
    invalid input)."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        result = action(form.cleaned_data)
    except errors.PermissionDenied as exc:
        raise PermissionDenied(str(exc)) from exc
    except (errors.InputError, errors.RuleViolation) as exc:  # RuleViolation covers signatures refused
        show_refusal(form, exc, field_for=field_for)
        return None
    messages.success(request, success(result) if callable(success) else success)
    return Done(result)


def act(request, call, *, success: str) -> Done | None:
    """A button without a form (submit to QC, verify, close): a refusal becomes an error message."""
    try:
        result = call()
    except errors.PermissionDenied as exc:
        raise PermissionDenied(str(exc)) from exc
    except (errors.InputError, errors.RuleViolation) as exc:
        messages.error(request, str(exc))
        return None
    messages.success(request, success)
    return Done(result)
