from django.contrib.auth.middleware import LoginRequiredMiddleware


class EvqmsLoginRequiredMiddleware(LoginRequiredMiddleware):
    """Login on every page; the API answers 401/403 itself (DRF) instead of redirecting to a form."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path.startswith("/api/"):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)
