"""Changes of rights made outside the rs.access services — the Django admin (or any code) changing a user's groups,
activity, superuser flag or password, renaming or deleting a group, deleting a user — bump the rights version
(rs.access.services.rights_changed), so that memos of rights elsewhere are stale at once. Connected in apps.py."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models.signals import m2m_changed, post_delete, post_save

# A save touching only other fields (e.g. last_login at each login) changes nobody's rights.
_RIGHTS_FIELDS = frozenset({"is_active", "is_superuser", "password"})


def _rights_changed() -> None:
    from rs.access.services import rights_changed

    rights_changed()


def _user_saved(sender: Any, instance: Any, created: bool, update_fields: Any = None, **kwargs: Any) -> None:
    if created:
        return  # nobody has memoised the rights of a user that did not exist
    if update_fields is not None and not _RIGHTS_FIELDS & set(update_fields):
        return
    _rights_changed()


def _memberships_changed(sender: Any, action: str, **kwargs: Any) -> None:
    if action in ("post_add", "post_remove", "post_clear"):
        _rights_changed()


def _changed(sender: Any, **kwargs: Any) -> None:
    _rights_changed()


def connect() -> None:
    user_model = get_user_model()
    post_save.connect(_user_saved, sender=user_model, dispatch_uid="access-rights-user-saved")
    post_delete.connect(_changed, sender=user_model, dispatch_uid="access-rights-user-deleted")
    m2m_changed.connect(_memberships_changed, sender=user_model.groups.through,
                        dispatch_uid="access-rights-memberships")
    post_save.connect(_changed, sender=Group, dispatch_uid="access-rights-group-saved")
    post_delete.connect(_changed, sender=Group, dispatch_uid="access-rights-group-deleted")
