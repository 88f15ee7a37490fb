"""Country names and cookie lifetimes in the visitor's language, worked out on the server.

Browsers differ in the locale data they ship: a Chromium without Kazakh region names prints `US`
where a visitor should read «Америка Құрама Штаттары», and `Intl.NumberFormat` gives `1 y` in
narrow builds. So the banner's config and the receipt carry ready words from here, and the
runtime only prints them. Russian nouns take one of three forms after a number (1 день, 2 дня,
5 дней); Kazakh and English forms do not depend on it the same way (1 күн, 2 күн; 1 day, 2 days).
"""

from __future__ import annotations

# The countries a vendor of the catalogue can be in; a code not listed is shown as the code.
COUNTRY_NAMES: dict[str, dict[str, str]] = {
    "KZ": {"ru": "Казахстан", "kk": "Қазақстан", "en": "Kazakhstan"},
    "RU": {"ru": "Россия", "kk": "Ресей", "en": "Russia"},
    "US": {"ru": "США", "kk": "АҚШ", "en": "United States"},
    "IL": {"ru": "Израиль", "kk": "Израиль", "en": "Israel"},
    "IE": {"ru": "Ирландия", "kk": "Ирландия", "en": "Ireland"},
    "NL": {"ru": "Нидерланды", "kk": "Нидерланд", "en": "Netherlands"},
    "DE": {"ru": "Германия", "kk": "Германия", "en": "Germany"},
    "GB": {"ru": "Великобритания", "kk": "Ұлыбритания", "en": "United Kingdom"},
    "FR": {"ru": "Франция", "kk": "Франция", "en": "France"},
    "FI": {"ru": "Финляндия", "kk": "Финляндия", "en": "Finland"},
    "SE": {"ru": "Швеция", "kk": "Швеция", "en": "Sweden"},
    "CY": {"ru": "Кипр", "kk": "Кипр", "en": "Cyprus"},
    "BY": {"ru": "Беларусь", "kk": "Беларусь", "en": "Belarus"},
    "UZ": {"ru": "Узбекистан", "kk": "Өзбекстан", "en": "Uzbekistan"},
    "KG": {"ru": "Киргизия", "kk": "Қырғызстан", "en": "Kyrgyzstan"},
    "AM": {"ru": "Армения", "kk": "Армения", "en": "Armenia"},
    "GE": {"ru": "Грузия", "kk": "Грузия", "en": "Georgia"},
    "AE": {"ru": "ОАЭ", "kk": "БАӘ", "en": "United Arab Emirates"},
    "CN": {"ru": "Китай", "kk": "Қытай", "en": "China"},
    "SG": {"ru": "Сингапур", "kk": "Сингапур", "en": "Singapore"},
    "TR": {"ru": "Турция", "kk": "Түркия", "en": "Turkey"},
}

# (seconds in the unit, {language: forms}); Russian forms are (1, 2–4, 5+): 1 год, 2 года, 5 лет.
_UNITS: tuple[tuple[int, dict[str, tuple[str, ...]]], ...] = (
    (365 * 86400, {"ru": ("год", "года", "лет"), "kk": ("жыл",), "en": ("year", "years")}),
    (86400, {"ru": ("день", "дня", "дней"), "kk": ("күн",), "en": ("day", "days")}),
    (3600, {"ru": ("час", "часа", "часов"), "kk": ("сағат",), "en": ("hour", "hours")}),
    (60, {"ru": ("минута", "минуты", "минут"), "kk": ("минут",), "en": ("minute", "minutes")}),
    (1, {"ru": ("секунда", "секунды", "секунд"), "kk": ("секунд",), "en": ("second", "seconds")}),
)


def country_name(code: str | None, language: str) -> str | None:
    """The country's name in `language` (English if the language is not known); None for no code."""
    if not code:
        return None
    names = COUNTRY_NAMES.get(code.upper())
    if names is None:
        return code
    return names.get(language) or names["en"]


def _russian_form(count: int, forms: tuple[str, ...]) -> str:
    if count % 10 == 1 and count % 100 != 11:
        return forms[0]
    if 2 <= count % 10 <= 4 and not 12 <= count % 100 <= 14:
        return forms[1]
    return forms[2]


def duration_text(seconds: int | None, language: str, session: str) -> str:
    """A cookie lifetime as words: `session` for a session cookie, else "2 года" / "1 жыл".

    The largest unit that divides the lifetime into a whole number is used, so 400 days read as
    400 days, not as a rounded 1.1 years (a lifetime is a promise; it must not look shorter).
    """
    if seconds is None:
        return session
    unit_seconds, forms = next(
        ((size, names) for size, names in _UNITS if seconds >= size and seconds % size == 0),
        _UNITS[-1],
    )
    count = seconds // unit_seconds
    words = forms.get(language) or forms["en"]
    if language == "ru":
        word = _russian_form(count, words)
    elif len(words) == 1:
        word = words[0]
    else:
        word = words[0] if count == 1 else words[1]
    return f"{count} {word}"
