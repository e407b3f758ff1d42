"""Web client pages; the project includes them with path("", include("rs.web.urls"))."""

from django.urls import path

from rs.web import views

app_name = "web"

urlpatterns = [
    path("login/", views.SignInView.as_view(), name="login"),
    path("logout/", views.SignOutView.as_view(), name="logout"),
    path("ops/", views.operations, name="ops"),
]
