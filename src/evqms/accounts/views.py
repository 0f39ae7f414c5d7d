"""Sign in and out, the person's own API tokens, the session ping, and the administrator's users page.
Views parse and display; the services check the permission and write the audit trail."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_http_methods, require_POST

from evqms import errors
from evqms.accounts import forms, roles, selectors, services
from evqms.accounts.listings import USERS
from evqms.accounts.middleware import idle_timeout
from evqms.core.views import act, attempt, require, show_refusal
from evqms.i18n import _

# Caught here, not through core.views.attempt/act: the users page answers a refusal with its status
# (409 for a rule, 400 for input) and the token form shows the new secret instead of a message.
REFUSALS = (errors.InputError, errors.RuleViolation, errors.PermissionDenied)


@method_decorator(login_not_required, name="dispatch")
class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_invalid(self, form):
        wait = getattr(self.request, "evqms_backoff_seconds", 0)
        if wait:
            form.add_error(None, _("too many failed attempts: try again in {n} seconds").format(n=wait))
        return super().form_invalid(form)


class LogoutView(auth_views.LogoutView):
    pass


@require_POST
def session_ping(request):
    """The page's "stay signed in" button: the middleware has just renewed the idle clock."""
    return JsonResponse({"idle_timeout": idle_timeout()})


# --- My tokens -------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def my_tokens(request):
    require(request, "accounts.own_tokens")
    form = forms.TokenForm(request.POST or None)
    created = None
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            token = selectors.tokens_of(request.user).filter(pk=request.POST.get("token") or 0).first()
            if token is None:
                raise Http404
            act(
                request,
                lambda: services.revoke_token(actor=request.user, token=token),
                success=_("Token {prefix} revoked.").format(prefix=token.prefix),
            )
            return redirect(reverse("accounts:my-tokens"))
        if form.is_valid():
            try:
                token, secret = services.create_token(
                    actor=request.user, name=form.cleaned_data["name"], days=form.cleaned_data["days"]
                )
            except REFUSALS as exc:
                show_refusal(form, exc)
            else:
                created = {"token": token, "secret": secret}
                form = forms.TokenForm()
    return render(
        request,
        "accounts/my_tokens.html",
        {"form": form, "created": created, "tokens": selectors.tokens_of(request.user)},
    )


# --- Administrator: users ----------------------------------------------------------------------


def user_list(request):
    require(request, "evqms.manage_users")
    table = USERS.table(request, selectors.users_overview())
    if table.export_format:
        return table.export()
    return render(request, "accounts/user_list.html", {"rows": table.rows, "table": table})


ACTIONS = {
    "deactivate": services.deactivate_user,
    "activate": services.activate_user,
    "unlock": services.unlock_user,
}


def _done_message(action: str, name: str) -> str:
    if action == "deactivate":
        return _("{name} deactivated: their sessions and API tokens no longer work.").format(name=name)
    if action == "activate":
        return _("{name} activated.").format(name=name)
    return _("{name} unlocked.").format(name=name)


@require_http_methods(["GET", "POST"])
def user_detail(request, username: str):
    require(request, "evqms.manage_users")
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise Http404
    action_form = forms.AccountActionForm(prefix="act")
    roles_form = forms.RolesForm(prefix="roles", initial={"roles": user.role_names()})
    revoke_form = forms.AdminRevokeForm(prefix="revoke")
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action in ACTIONS:
                action_form = forms.AccountActionForm(request.POST, prefix="act")
                if action_form.is_valid():
                    ACTIONS[action](actor=request.user, user=user, reason=action_form.cleaned_data["reason"])
                    messages.success(request, _done_message(action, user.username))
                    return redirect(reverse("accounts:user-detail", args=[user.username]))
                status = 400
            elif action == "set-roles":
                roles_form = forms.RolesForm(request.POST, prefix="roles")
                if roles_form.is_valid():
                    services.set_roles(
                        actor=request.user,
                        user=user,
                        role_names=roles_form.cleaned_data["roles"],
                        reason=roles_form.cleaned_data["reason"],
                    )
                    messages.success(request, _("Roles of {name} saved.").format(name=user.username))
                    return redirect(reverse("accounts:user-detail", args=[user.username]))
                status = 400
            elif action == "revoke-token":
                revoke_form = forms.AdminRevokeForm(request.POST, prefix="revoke")
                if revoke_form.is_valid():
                    token = selectors.tokens_of(user).filter(pk=revoke_form.cleaned_data["token"]).first()
                    if token is None:
                        raise Http404
                    services.revoke_token(
                        actor=request.user, token=token, reason=revoke_form.cleaned_data["reason"]
                    )
                    messages.success(request, _("Token {prefix} revoked.").format(prefix=token.prefix))
                    return redirect(reverse("accounts:user-detail", args=[user.username]))
                status = 400
            else:
                raise Http404
        except REFUSALS as exc:
            messages.error(request, str(exc))
            status = 409 if isinstance(exc, errors.RuleViolation) else 400
    return render(
        request,
        "accounts/user_detail.html",
        {
            "subject": user,
            "state": selectors.user_state(user),
            "tokens": selectors.tokens_of(user),
            "action_form": action_form,
            "roles_form": roles_form,
            "revoke_form": revoke_form,
            "role_labels": roles.ROLES,
        },
        status=status,
    )


# --- A person's own notification e-mails -----------------------------------------------------


def notifications(request):
    require(request, "accounts.own_notifications")
    pref = services.notification_preference(request.user)
    form = forms.NotificationForm(
        request.POST or None,
        initial={"digest": pref.digest, "immediate": pref.immediate, "language": pref.language},
    )
    done = attempt(
        request,
        form,
        lambda d: services.set_notification_preferences(
            actor=request.user, digest=d["digest"], immediate=d["immediate"], language=d["language"]
        ),
        success=_("Notification settings saved."),
    )
    if done:
        return redirect(reverse("accounts:notifications"))
    return render(
        request,
        "accounts/notifications.html",
        {"form": form, "pref": pref, "has_email": bool(request.user.email)},
        status=400 if request.method == "POST" else 200,
    )
