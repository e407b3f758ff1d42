"""OpenID Connect endpoints; the project includes them as path("auth/", include("rs.access.urls"))."""

from django.urls import path

from rs.access import views

app_name = "access"

_OIDC = "realms/<str:realm>/protocol/openid-connect"

urlpatterns = [
    path("realms/<str:realm>", views.realm_info, name="realm"),
    path("realms/<str:realm>/.well-known/openid-configuration", views.discovery, name="discovery"),
    path(f"{_OIDC}/token", views.token, name="token"),
    path(f"{_OIDC}/certs", views.certs, name="certs"),
    path(f"{_OIDC}/auth", views.authorize, name="authorize"),
    path(f"{_OIDC}/userinfo", views.userinfo, name="userinfo"),
    path(f"{_OIDC}/logout", views.logout, name="logout"),
    path(f"{_OIDC}/revoke", views.revoke, name="revoke"),
]
