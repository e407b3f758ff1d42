from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "rs.monitoring"
    verbose_name = "Monitoring"

    def ready(self) -> None:
        from celery.signals import task_postrun, task_prerun
        from django.core.signals import request_finished

        from rs.monitoring import consumers  # noqa: F401 - registers the catalog-event consumers
        from rs.monitoring.tracing import request_trace_end, task_trace_end, task_trace_start

        task_prerun.connect(task_trace_start, weak=False, dispatch_uid="rs-monitoring-trace-start")
        task_postrun.connect(task_trace_end, weak=False, dispatch_uid="rs-monitoring-trace-end")
        request_finished.connect(request_trace_end, weak=False, dispatch_uid="rs-monitoring-trace-request-end")
