"""The languages the app speaks: one list, used by every page, email and form. Pages pick theirs in
saas.web.context; emails pick the recipient's explicitly (force_locale)."""

LOCALES = ("en", "ru", "uk")
DEFAULT_LOCALE = "en"


def supported(locale: str | None) -> str:
    """The locale itself if the app speaks it, else the default."""
    return locale if locale in LOCALES else DEFAULT_LOCALE
