from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "rs.campaigns"
    verbose_name = "Processor validation campaigns"

    def ready(self) -> None:
        from rs.campaigns.guards import dataset_products_protected
        from rs.lifecycle.guards import eviction_guard_register

        # the inputs and reference outputs of a dataset must outlive their retention: campaigns rerun them
        eviction_guard_register("reference-datasets", dataset_products_protected)
