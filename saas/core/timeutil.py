"""Time: now in UTC, stored moments read back as UTC, and a moment as a business reads it, in its time zone."""
import functools
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes for timezone-aware columns; they were stored as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def zone_of(tenant) -> ZoneInfo:
    """The business's time zone (UTC without a business, or for a zone the tz database does not know)."""
    try:
        return ZoneInfo(tenant.timezone if tenant is not None and tenant.timezone else "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_time(moment: datetime, tenant, fmt: str = "%Y-%m-%d %H:%M %Z") -> str:
    """A moment as the business reads it: in its own time zone."""
    return as_utc(moment).astimezone(zone_of(tenant)).strftime(fmt)


def local_days(first: date, last: date, tenant) -> tuple[datetime, datetime]:
    """The business's local days first…last as UTC moments: [first 00:00, the day after last 00:00)."""
    zone = zone_of(tenant)
    start = datetime.combine(first, time.min, zone).astimezone(timezone.utc)
    end = datetime.combine(last + timedelta(days=1), time.min, zone).astimezone(timezone.utc)
    return start, end


# Where a business that speaks this language most likely is: its time zone until it chooses one.
DEFAULT_TIMEZONES = {"en": "Europe/London", "ru": "Europe/Moscow", "uk": "Europe/Kyiv"}
_AREAS = {"Africa", "America", "Antarctica", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific"}


@functools.cache
def timezones() -> tuple[str, ...]:
    """The time zones a business may choose: every Area/City of the tz database, and UTC."""
    return ("UTC", *sorted(zone for zone in available_timezones() if zone.split("/")[0] in _AREAS and "/" in zone))
