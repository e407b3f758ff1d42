"""PRIP OData v4 API under /odata/v1/ (being built: see rs/prip/)."""

from django.urls.resolvers import URLPattern

urlpatterns: list[URLPattern] = []
