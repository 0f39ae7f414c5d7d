from django.contrib.auth import get_user_model


def users_with_roles():
    return get_user_model().objects.prefetch_related("groups").order_by("username")
