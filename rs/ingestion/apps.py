from django.apps import AppConfig


class IngestionConfig(AppConfig):
    name = "rs.ingestion"
    verbose_name = "Ingestion"
