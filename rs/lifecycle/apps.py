from django.apps import AppConfig


class LifecycleConfig(AppConfig):
    name = "rs.lifecycle"
    verbose_name = "Data lifecycle"

    def ready(self) -> None:
        from rs.catalog.eviction_dates import eviction_date_provider_register
        from rs.lifecycle.retention import eviction_dates_for

        eviction_date_provider_register(eviction_dates_for)
