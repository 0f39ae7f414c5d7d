from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from evqms.accounts import roles


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Name (what the token is for)"), max_length=100, required=False)
    days = forms.IntegerField(label=_("Valid for (days)"), min_value=1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The range is the service's to check (create_token): its message names the limit.
        self.fields["days"].initial = settings.EVQMS_TOKEN_DAYS
        self.fields["days"].widget.attrs.update(max=settings.EVQMS_TOKEN_DAYS)


class AccountActionForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500)


class RolesForm(forms.Form):
    roles = forms.MultipleChoiceField(
        label=_("Roles"), choices=list(roles.ROLES.items()), widget=forms.CheckboxSelectMultiple
    )
    reason = forms.CharField(label=_("Reason"), max_length=500)


class AdminRevokeForm(forms.Form):
    token = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    reason = forms.CharField(label=_("Reason"), max_length=500)


class NotificationForm(forms.Form):
    digest = forms.BooleanField(label=_("A daily digest of my tasks"), required=False)
    immediate = forms.BooleanField(
        label=_("A message as soon as a task falls due within 24 hours"), required=False
    )
    language = forms.ChoiceField(label=_("Language of the messages"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [("", _("The site's language"))] + [
            (code, name) for code, name in settings.LANGUAGES
        ]
