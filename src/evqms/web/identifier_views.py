"""The QA page of identifiers that break the identifier rule, and their correction."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from evqms import errors
from evqms.core import identifiers
from evqms.core.views import field_for_where, require, show_refusal
from evqms.i18n import _
from evqms.web.identifiers import correct_identifier


class CorrectionForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=())
    pk = forms.IntegerField(widget=forms.HiddenInput, required=False)
    old = forms.CharField(label=gettext_lazy("Stored identifier"), strip=False)
    new = forms.CharField(label=gettext_lazy("New identifier"), max_length=200)
    reason = forms.CharField(label=gettext_lazy("Reason"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = sorted(identifiers.kind_labels().items(), key=lambda kv: kv[1])


def _shown_field(form, where):
    """The field a refusal names, except the hidden record id: that one is told above the form."""
    field = field_for_where(form, where)
    return None if field == "pk" else field


@require_http_methods(["GET", "POST"])
def identifier_check(request):
    require(request, "web.view_identifier_check")
    can_correct = request.user.has_perm("web.correct_identifier")
    form = None
    if request.method == "POST":
        require(request, "web.correct_identifier")
        form = CorrectionForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                record = correct_identifier(
                    actor=request.user,
                    kind=d["kind"],
                    old=d["old"],
                    new=d["new"],
                    reason=d["reason"],
                    pk=d["pk"],
                )
            except errors.PermissionDenied as exc:
                raise PermissionDenied(str(exc)) from exc
            except (errors.InputError, errors.RuleViolation) as exc:
                show_refusal(form, exc, field_for=_shown_field)
            else:
                value = getattr(record, identifiers.KINDS[d["kind"]].field)
                messages.success(request, _("Corrected: {old} is now {new}.").format(old=d["old"], new=value))
                return redirect(reverse("web:identifier-check"))
    elif can_correct and request.GET.get("kind") in identifiers.KINDS:
        form = CorrectionForm(
            initial={k: request.GET.get(k, "") for k in ("kind", "pk", "old", "new")},
        )
    labels = identifiers.kind_labels()
    rows = [
        {"v": v, "label": labels[v.kind], "rule": identifiers.rule(v.kind)} for v in identifiers.violations()
    ]
    return render(
        request,
        "web/identifiers.html",
        {"rows": rows, "form": form, "can_correct": can_correct},
        status=400 if form is not None and form.errors else 200,
    )
