"""Pages of the web client beyond the landing page: the sign-in form and the operations view.

No models and nothing to install: the project includes `rs.web.urls`; the templates live in rs/templates/web/ and
the scripts in frontend/src/ (served as static files).
"""
