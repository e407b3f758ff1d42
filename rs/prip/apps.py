from django.apps import AppConfig


class PripConfig(AppConfig):
    name = "rs.prip"
    verbose_name = "PRIP distribution"
