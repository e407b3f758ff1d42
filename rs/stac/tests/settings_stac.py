"""The project settings with the STAC app installed and its URLs mounted (until rs/settings.py and rs/urls.py
include it): run the STAC tests with `--ds=rs.stac.tests.settings_stac`. Harmless once they do."""

from rs import settings as _project
from rs.settings import *  # noqa: F403

INSTALLED_APPS = [*_project.INSTALLED_APPS, *([] if "rs.stac" in _project.INSTALLED_APPS else ["rs.stac"])]
ROOT_URLCONF = "rs.stac.tests.urls_stac"
