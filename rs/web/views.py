"""Sign-in and sign-out with the Django session, and the operations page (staff only).

The pages only serve HTML; everything they show comes from the project's APIs (/odata/v1/, /api/v1/) called by the
browser with the session cookie, so the APIs stay the one place where data and permissions are decided.
"""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie


class SignInView(auth_views.LoginView):
    """Django's LoginView with our template; any active account may sign in (the admin login takes staff only)."""

    template_name = "web/login.html"
    redirect_authenticated_user = True
    next_page = "/"


class SignOutView(auth_views.LogoutView):
    next_page = "/"


@never_cache
@ensure_csrf_cookie  # the page's scripts post retry/cancel to the operator API, which checks the CSRF cookie
def operations(request: HttpRequest) -> HttpResponse:
    """Jobs, ingestion and monitoring for operators. Anonymous users are sent to sign in; other users get a 403."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), login_url=reverse("web:login"))
    if not request.user.is_staff:
        raise PermissionDenied("The operations view is for operators (staff accounts).")
    return render(request, "web/ops.html")
