from django.apps import AppConfig


class StacConfig(AppConfig):
    name = "rs.stac"
    verbose_name = "STAC API"

    def ready(self) -> None:
        # registers the catalog-event consumer that keeps the collection extents current
        from rs.stac import consumers  # noqa: F401
