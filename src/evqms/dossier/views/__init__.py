"""Dossier pages: the product list, the product's whole dossier, and create/edit pages for its
records, one module a part (products, processes, specifications, donors and cell banks,
materials, documents).

Views parse forms and call the services (which check roles again) through evqms.core.views; a
refused action re-renders the form with the service's message next to the field it names. The
helpers here add what a dossier form page shows around that bridge.
"""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse

from evqms.core.concurrency import SeenField, fingerprint
from evqms.core.views import attempt
from evqms.dossier import models as m
from evqms.dossier import selectors
from evqms.i18n import _


def product_or_404(code: str) -> m.Product:
    product = selectors.get_product(code)
    if product is None:
        raise Http404
    return product


def form_page(request, form, *, title: str, back: str, submit: str, multipart: bool = False, status=None):
    return render(
        request,
        "dossier/form.html",
        {"form": form, "title": title, "back": back, "submit": submit, "multipart": multipart},
        status=status or (400 if request.method == "POST" else 200),
    )


def form_view(
    request, form, action, *, success: str, title: str, submit: str, back: str, done=None, multipart=False
):
    """A form page: on a valid POST run `action(cleaned_data)` and go to `done` (a URL, or a function
    of the result giving one; by default back where the page came from); otherwise show the form
    with the service's refusal on it."""
    finished = attempt(request, form, action, success=success)
    if finished:
        done = done or back
        return redirect(done(finished.result) if callable(done) else done)
    return form_page(request, form, title=title, back=back, submit=submit, multipart=multipart)


def edit_page(request, form, *, record: dict, update, success: str, title: str, back: str):
    """An edit page: the form carries the fingerprint of `record` as shown (evqms.core.concurrency),
    `update(seen=..., **cleaned_data)` saves (fields named `code` are shown, never changed), then
    the page goes `back`."""
    form.fields["seen"] = SeenField()
    form.initial["seen"] = fingerprint(record)

    def act(data):
        if "code" in form.fields and form.fields["code"].disabled:
            data.pop("code", None)
        return update(seen=data.pop("seen"), **data)

    return form_view(request, form, act, success=success, title=title, submit=_("Save"), back=back)


def back_url(request) -> str:
    """Where a page opened from the dossier returns to: its `next` when it is a path of this site."""
    nxt = request.GET.get("next") or request.POST.get("next") or ""
    return nxt if nxt.startswith("/") and not nxt.startswith("//") else reverse("dossier:product-list")
