"""Time: now in UTC, stored moments read back as UTC, and a moment as a business reads it."""
from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes for timezone-aware columns; they were stored as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def local_time(moment: datetime, tenant) -> str:
    """A deadline as the business reads it: in its own time zone."""
    try:
        zone = ZoneInfo(tenant.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return as_utc(moment).astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")
