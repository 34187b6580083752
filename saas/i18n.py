"""Locale selection for pages; emails pick the recipient's locale explicitly (force_locale)."""
from flask import g, request

SUPPORTED_LOCALES = ("en", "ru", "uk")


def select_locale() -> str:
    survey_locale = g.get("survey_locale")
    if survey_locale:
        return survey_locale  # a public survey page speaks the customer's language
    user = getattr(g, "locale_user", None)
    if user is not None and user.locale in SUPPORTED_LOCALES:
        return user.locale
    return request.accept_languages.best_match(SUPPORTED_LOCALES) or "en"
