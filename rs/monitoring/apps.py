from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "rs.monitoring"
    verbose_name = "Monitoring"
