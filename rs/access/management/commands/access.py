"""`manage.py access keys rotate|list|maintain`, `access clients create|list`, `access sessions revoke --user`,
`access local-admin FILE`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Access: signing keys, OAuth clients, token sessions, the embedded default's admin account."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="area", required=True, metavar="AREA")
        keys = sub.add_parser("keys", help="token signing keys")
        keys.add_argument("action", choices=["rotate", "list", "maintain"],
                          help="rotate now | list the keys | what the periodic task does (rotate when due, purge)")
        clients = sub.add_parser("clients", help="OAuth clients")
        client_actions = clients.add_subparsers(dest="action", required=True, metavar="ACTION")
        client_actions.add_parser("list", help="the clients and their grants")
        create = client_actions.add_parser("create", help="a new client; a confidential one prints its secret once")
        create.add_argument("client_id")
        create.add_argument("--name", default="")
        create.add_argument("--confidential", action="store_true")
        create.add_argument("--grants", default="password refresh_token",
                            help="space-separated: password refresh_token client_credentials")
        create.add_argument("--service-user", default=None, help="username whose rights client_credentials carry")
        sessions = sub.add_parser("sessions", help="token sessions")
        sessions.add_argument("action", choices=["revoke"])
        sessions.add_argument("--user", required=True, help="username whose sessions and tokens end now")
        local_admin = sub.add_parser(
            "local-admin", help="the superuser `admin` of `make run` and its password kept in FILE",
            description="Creates `admin` when missing and prints its password, the one kept in FILE. When FILE is "
                        "missing a fresh password is set and written there. A password changed since FILE was "
                        "written is not printed (nor reset).")
        local_admin.add_argument("password_file", type=Path, metavar="FILE")

    def handle(self, *args: Any, **options: Any) -> None:
        from rs.access import services
        from rs.access.models import OAuthClient, SigningKey

        if options["area"] == "local-admin":
            self._local_admin(password_file=options["password_file"])
            return
        area, action = options["area"], options["action"]
        if area == "keys" and action == "rotate":
            self.stdout.write(f"rotated: {services.signing_keys_rotate().kid} is now active")
        elif area == "keys" and action == "maintain":
            self.stdout.write(services.signing_keys_maintain())
        elif area == "keys":
            for key in SigningKey.objects.order_by("-created_at"):
                until = f" verifies until {key.verify_until:%Y-%m-%dT%H:%M:%SZ}" if key.verify_until else ""
                self.stdout.write(f"{key.kid}  {key.state:8}  created {key.created_at:%Y-%m-%dT%H:%M:%SZ}{until}")
        elif area == "clients" and action == "list":
            for client in OAuthClient.objects.order_by("client_id"):
                kind = "confidential" if client.confidential else "public"
                state = "" if client.enabled else "  (disabled)"
                self.stdout.write(f"{client.client_id}  {kind}  {client.grant_types}{state}")
        elif area == "clients":
            try:
                client, secret = services.oauth_client_create(
                    client_id=options["client_id"], name=options["name"], confidential=options["confidential"],
                    grant_types=options["grants"], service_username=options["service_user"])
            except ObjectDoesNotExist:
                raise CommandError(f"no user named {options['service_user']!r}") from None
            except ValidationError as exc:
                raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())) from None
            self.stdout.write(f"client {client.client_id} created")
            if secret:
                self.stdout.write(f"secret (shown once, store it now): {secret}")
        else:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"no user named {options['user']!r}")
            count = services.user_sessions_revoke(user_id=user.pk)
            self.stdout.write(f"{count} session(s) revoked; access tokens of {user.username} refused from now")

    def _local_admin(self, *, password_file: Path) -> None:
        from rs.access.services import local_admin_ensure

        password = local_admin_ensure(password_file=password_file)
        if password is None:
            self.stdout.write(f"password: not the one in {password_file} any more (changed in the admin; delete the "
                              "file for a new one)")
            return
        self.stdout.write(f"password: {password}")
