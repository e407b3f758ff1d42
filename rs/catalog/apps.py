from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "rs.catalog"
    verbose_name = "Catalog"

    def ready(self) -> None:
        from rs.catalog.events import consumer_modules_load

        consumer_modules_load()
