"""The registry export's request on the evidence page: a period (either end may be blank) and the
language of its README. The dates are texts checked by the service, so the page, the API and the
command line refuse a bad period with the same message, on the field it names (`from`, `to`)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class RegistryExportForm(forms.Form):
    lang = forms.ChoiceField(
        label=_("Language of the README"), choices=[("ja", "日本語"), ("en", "English")], required=False
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        # `from` and `to` are the names the API and the command line use; neither can be a class
        # attribute (`from` is a keyword), so they are added here.
        self.fields["from"] = forms.CharField(
            label=_("Administered from"),
            required=False,
            max_length=40,
            widget=forms.DateInput(attrs={"type": "date", "id": "id_registry_from"}),
        )
        self.fields["to"] = forms.CharField(
            label=_("to (inclusive)"),
            required=False,
            max_length=40,
            widget=forms.DateInput(attrs={"type": "date", "id": "id_registry_to"}),
        )
        self.order_fields(["from", "to", "lang"])
