from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "rs.access"
    verbose_name = "Access: identities, tokens, rights"

    def ready(self) -> None:
        from rs.access import signals

        signals.connect()
