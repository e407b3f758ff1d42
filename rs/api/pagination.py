from rest_framework.pagination import CursorPagination


class StandardCursorPagination(CursorPagination):
    """Keyset pages: stable while rows are added, one index range scan per page at any depth."""

    page_size_query_param = "page_size"
    max_page_size = 1000
    ordering: str | tuple[str, ...] = "-id"


class NewestFirstPagination(StandardCursorPagination):
    """For catalogued rows: newest first by creation time (indexed), id breaking ties."""

    ordering = ("-created_at", "-id")
