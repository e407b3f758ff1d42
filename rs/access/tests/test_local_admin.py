"""`manage.py access local-admin FILE`: the admin account `make run` prints is one that logs in."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def local_admin(password_file: Path) -> str:
    out = StringIO()
    call_command("access", "local-admin", str(password_file), stdout=out)
    return out.getvalue()


def admin_password_works(password: str) -> bool:
    return bool(get_user_model().objects.get(username="admin").check_password(password))


def test_a_first_start_creates_the_superuser_and_writes_its_password_readable_by_the_owner_only(tmp_path: Path):
    password_file = tmp_path / "var" / "admin-password"
    printed = local_admin(password_file)
    password = password_file.read_text().removesuffix("\n")
    assert printed == f"password: {password}\n" and len(password) == 16
    assert password_file.stat().st_mode & 0o777 == 0o600
    admin = get_user_model().objects.get(username="admin")
    assert (admin.is_superuser, admin.is_staff, admin.email) == (True, True, "admin@localhost")
    assert admin_password_works(password)

    assert local_admin(password_file) == printed  # the next start prints the same password
    assert admin_password_works(password)


def test_a_kept_password_file_gives_its_password_to_a_new_admin(tmp_path: Path):
    password_file = tmp_path / "admin-password"
    password_file.write_text("kept-from-before\n")
    assert local_admin(password_file) == "password: kept-from-before\n"
    assert admin_password_works("kept-from-before")


def test_a_lost_password_file_gets_a_fresh_password_that_works(tmp_path: Path):
    password_file = tmp_path / "admin-password"
    local_admin(password_file)
    old = password_file.read_text().strip()
    password_file.unlink()

    printed = local_admin(password_file)
    new = password_file.read_text().strip()
    assert printed == f"password: {new}\n" and new != old
    assert admin_password_works(new) and not admin_password_works(old)


def test_a_password_changed_in_the_admin_is_neither_printed_from_the_stale_file_nor_reset(tmp_path: Path):
    password_file = tmp_path / "admin-password"
    local_admin(password_file)
    stale = password_file.read_text().strip()
    admin = get_user_model().objects.get(username="admin")
    admin.set_password("chosen by the operator")
    admin.save()

    assert local_admin(password_file) == (f"password: not the one in {password_file} any more (changed in the "
                                          "admin; delete the file for a new one)\n")
    assert admin_password_works("chosen by the operator") and password_file.read_text().strip() == stale
