from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "rs.catalog"
    verbose_name = "Catalog"

    def ready(self) -> None:
        from rs.catalog.events import consumer_modules_load
        from rs.sqlite_connections import busy_timeout_keep
        from rs.sqlite_lookups import case_insensitive_lookups_register

        consumer_modules_load()
        # once for the whole project (the catalog app is the first of ours to load): i-lookups on SpatiaLite
        case_insensitive_lookups_register()
        busy_timeout_keep()
