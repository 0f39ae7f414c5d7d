from django.contrib.auth import get_user_model

from evqms.accounts import lockout


def users_with_roles():
    return get_user_model().objects.prefetch_related("groups").order_by("username")


def users_overview() -> list[dict]:
    """Each user with roles, active and locked (from any address): the administrator's users page."""
    locked = lockout.locked_usernames()
    return [{"user": u, "roles": u.role_labels(), "locked": u.username in locked} for u in users_with_roles()]


def user_state(user) -> dict:
    return {"locked_from": lockout.locked_sources(user.username)}


def tokens_of(user):
    from evqms.accounts.models import ApiToken

    return ApiToken.objects.filter(user=user).select_related("user", "revoked_by")
