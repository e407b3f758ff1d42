"""STAC API 1.0 under /stac/ (include it with path("stac/", include("rs.stac.urls")))."""

from django.urls import path, re_path

from rs.stac import views

app_name = "stac"

urlpatterns = [
    path("", views.landing, name="landing"),
    path("conformance", views.conformance, name="conformance"),
    path("api", views.service_description, name="service-desc"),
    path("queryables", views.queryables, name="queryables"),
    path("collections", views.collections, name="collections"),
    path("collections/<str:collection>", views.collection, name="collection"),
    path("collections/<str:collection>/queryables", views.queryables, name="collection-queryables"),
    path("collections/<str:collection>/items", views.collection_items, name="collection-items"),
    path("collections/<str:collection>/items/<str:item>", views.collection_item, name="collection-item"),
    path("search", views.search, name="search"),
    re_path(r"^(?P<rest>.*)$", views.unknown, name="unknown"),
]
