"""Read-only facts on a workspace's admin page: issuer, endpoints, live token counts, tokens issued per hour.

Counted from the database on each view of the page, in a fixed number of
queries whatever the workspace's size.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Q
from django.db.models.functions import TruncHour
from django.utils import timezone
from django.utils.safestring import SafeString
from oauth2_provider.models import AccessToken, RefreshToken

from ..models import IssuedToken, Workspace
from ..oauth.issuer import issuer
from .charts import Bar, bar_chart

HOURS = 24


@dataclass(frozen=True)
class WorkspaceFacts:
    issuer: str
    discovery_url: str
    jwks_url: str
    access_active: int
    access_expired: int
    access_revoked: int  # revoked and not yet expired: rows gone, records kept
    refresh_active: int
    refresh_revoked: int
    refresh_expired: int
    issued_last_24h: int
    chart: SafeString


def workspace_facts(request, workspace: Workspace, now: datetime | None = None) -> WorkspaceFacts:
    now = now or timezone.now()
    base = issuer(request, workspace)
    access = AccessToken.objects.filter(application__workspace=workspace).aggregate(
        n_active=Count("pk", filter=Q(expires__gt=now)), n_expired=Count("pk", filter=Q(expires__lte=now))
    )
    revoked_access = IssuedToken.objects.for_workspace(workspace).revoked().filter(expires__gt=now).count()
    live = Q(revoked__isnull=True)
    refresh = RefreshToken.objects.filter(application__workspace=workspace).aggregate(
        n_active=Count("pk", filter=live & Q(oauthhub_expiry__expires__gt=now)),
        n_revoked=Count("pk", filter=~live),
        # No expiry row: the validator refuses the token, so it counts as expired.
        n_expired=Count("pk", filter=live & (Q(oauthhub_expiry__isnull=True) | Q(oauthhub_expiry__expires__lte=now))),
    )
    per_hour = issued_per_hour(workspace, now)
    return WorkspaceFacts(
        issuer=base,
        discovery_url=f"{base}/.well-known/openid-configuration",
        jwks_url=f"{base}/.well-known/jwks.json",
        access_active=access["n_active"],
        access_expired=access["n_expired"],
        access_revoked=revoked_access,
        refresh_active=refresh["n_active"],
        refresh_revoked=refresh["n_revoked"],
        refresh_expired=refresh["n_expired"],
        issued_last_24h=sum(count for _, count in per_hour),
        chart=issued_chart(per_hour),
    )


def issued_per_hour(workspace: Workspace, now: datetime, hours: int = HOURS) -> list[tuple[datetime, int]]:
    """(start of hour, access tokens issued in it) for the last ``hours`` hours, the current one last.

    Hours are those of the admin's time zone (TruncHour follows the current
    time zone), so the labels match the clock on the wall.
    """
    current = timezone.localtime(now).replace(minute=0, second=0, microsecond=0)
    first = current - timedelta(hours=hours - 1)
    rows = (
        IssuedToken.objects.for_workspace(workspace)
        .filter(issued_at__gte=first)
        .annotate(hour=TruncHour("issued_at"))
        .order_by()
        .values("hour")
        .annotate(count=Count("pk"))
    )
    counts = {timezone.localtime(row["hour"]).replace(tzinfo=None): row["count"] for row in rows}
    starts = [first + timedelta(hours=index) for index in range(hours)]
    return [(start, counts.get(start.replace(tzinfo=None), 0)) for start in starts]


def issued_chart(per_hour: list[tuple[datetime, int]]) -> SafeString:
    bars = [
        Bar(
            value=count,
            label=f"{start:%H}:00" if index % 3 == 0 else "",
            title=f"{start:%H}:00–{start + timedelta(hours=1):%H}:00: {count} token{'s' if count != 1 else ''}",
        )
        for index, (start, count) in enumerate(per_hour)
    ]
    total = sum(count for _, count in per_hour)
    return bar_chart(bars, description=f"Access tokens issued per hour over the last {len(per_hour)} hours: {total}")
