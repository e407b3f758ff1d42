"""PRIP OData v4 API under /odata/v1/ (prip-odata.md §1). Keys in parentheses need regular expressions."""

from django.apps import apps
from django.urls import re_path

from rs.prip import views
from rs.prip.download import views as downloads

app_name = "prip"

_KEY = r"\((?P<key>[^/]*)\)"

urlpatterns = [
    re_path(r"^$", views.service_root, name="root"),
    re_path(r"^\$metadata$", views.metadata, name="metadata"),
    re_path(r"^Products/?$", views.products, name="products"),
    re_path(r"^Products/\$count$", views.products_count, name="products-count"),
    re_path(r"^Products/OData\.CSC\.FilterList$", views.filter_list, name="products-filterlist"),
    re_path(rf"^Products{_KEY}/?$", views.product, name="product"),
    re_path(rf"^Products{_KEY}/\$value$", downloads.product_value, name="product-value"),
    re_path(rf"^Products{_KEY}/Quicklooks\((?P<image>[^/]*)\)/\$value$", downloads.quicklook_value,
            name="quicklook-value"),
    re_path(rf"^Products{_KEY}/(?P<navigation>Attributes|Quicklooks)$", views.product_navigation,
            name="product-navigation"),
    re_path(rf"^Assets{_KEY}/\$value$", downloads.asset_value, name="asset-value"),
    re_path(r"^DeletedProducts/?$", views.deleted_products, name="deleted-products"),
    re_path(r"^DeletedProducts/\$count$", views.deleted_products_count, name="deleted-products-count"),
    re_path(rf"^DeletedProducts{_KEY}/?$", views.deleted_product, name="deleted-product"),
    re_path(r"^Attributes/?$", views.attributes, name="attributes"),
    re_path(r"^Attributes\((?P<collection>[^/]*)\)$", views.collection_attributes, name="collection-attributes"),
]

# Until rs.subscriptions is in INSTALLED_APPS its views cannot be imported (their models belong to no app).
if apps.is_installed("rs.subscriptions"):
    from rs.subscriptions import views as subscriptions

    urlpatterns += [
        re_path(r"^Subscriptions/?$", subscriptions.subscriptions, name="subscriptions"),
        re_path(r"^Subscriptions/Info$", subscriptions.subscriptions_info, name="subscriptions-info"),
        re_path(rf"^Subscriptions{_KEY}/?$", subscriptions.subscription, name="subscription"),
        re_path(rf"^Subscriptions{_KEY}/Read$", subscriptions.subscription_read, name="subscription-read"),
        re_path(rf"^Subscriptions{_KEY}/Ack$", subscriptions.subscription_ack, name="subscription-ack"),
    ]

urlpatterns += [re_path(r"^(?P<rest>.*)$", views.unknown, name="unknown")]
