"""One pagination style for every list: ``?limit=&offset=``, with ``count``, ``next`` and ``previous``."""

from __future__ import annotations

from rest_framework.pagination import LimitOffsetPagination


class ManagementPagination(LimitOffsetPagination):
    default_limit = 50
    max_limit = 500
