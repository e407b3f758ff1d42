from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "rs.campaigns"
    verbose_name = "Processor validation campaigns"

    def ready(self) -> None:
        from rs.campaigns.guards import dataset_products_protected
        from rs.campaigns.services import campaign_job_ended
        from rs.lifecycle.guards import eviction_guard_register
        from rs.production.job_listeners import job_end_listener_register

        # the inputs and reference outputs of a dataset must outlive their retention: campaigns rerun them
        eviction_guard_register("reference-datasets", dataset_products_protected)
        # a run whose last job ended has its comparisons made and stored (the report then only reads them)
        job_end_listener_register("campaign-comparisons", campaign_job_ended)
