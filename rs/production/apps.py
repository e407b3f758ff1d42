from django.apps import AppConfig


class ProductionConfig(AppConfig):
    name = "rs.production"
    verbose_name = "Production"

    def ready(self) -> None:
        # registers the catalog-event consumers of production
        from rs.lifecycle.guards import eviction_guard_register
        from rs.production import consumers  # noqa: F401
        from rs.production.eviction_guard import inputs_of_unfinished_jobs

        # the lifecycle never evicts what a job that has not ended still needs
        eviction_guard_register("production-unfinished-jobs", inputs_of_unfinished_jobs)
