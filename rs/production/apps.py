from django.apps import AppConfig


class ProductionConfig(AppConfig):
    name = "rs.production"
    verbose_name = "Production"
