from django.apps import AppConfig


class SubscriptionsConfig(AppConfig):
    name = "rs.subscriptions"
    verbose_name = "PRIP subscriptions and quotas"

    def ready(self) -> None:
        from rs.subscriptions.configuration import subscription_settings

        subscription_settings()  # a missing RS_SUBSCRIPTION_* setting stops the start, not the first notification
        # registers the catalog-event consumer that turns catalog changes into notifications
        from rs.subscriptions import consumers  # noqa: F401
