"""Country names and cookie lifetimes as a Kazakh, Russian or English visitor reads them."""

from __future__ import annotations

import pytest

from kelisim.domain.catalogue import load
from kelisim.domain.display import country_name, duration_text
from kelisim.settings import DEFAULT_CATALOGUE

DAY, YEAR = 86400, 365 * 86400


@pytest.mark.parametrize(
    ("seconds", "ru", "kk", "en"),
    [
        (DAY, "1 день", "1 күн", "1 day"),
        (2 * DAY, "2 дня", "2 күн", "2 days"),
        (5 * DAY, "5 дней", "5 күн", "5 days"),
        (11 * DAY, "11 дней", "11 күн", "11 days"),
        (21 * DAY, "21 день", "21 күн", "21 days"),
        (90 * DAY, "90 дней", "90 күн", "90 days"),
        (YEAR, "1 год", "1 жыл", "1 year"),
        (2 * YEAR, "2 года", "2 жыл", "2 years"),
        (5 * YEAR, "5 лет", "5 жыл", "5 years"),
        (30 * 60, "30 минут", "30 минут", "30 minutes"),
        (400 * DAY, "400 дней", "400 күн", "400 days"),
    ],
)
def test_lifetimes_read_as_words_with_the_right_russian_form(seconds, ru, kk, en):
    assert [duration_text(seconds, lang, "-") for lang in ("ru", "kk", "en")] == [ru, kk, en]


def test_a_session_cookie_reads_as_the_catalogues_session_text():
    assert duration_text(None, "kk", "браузер жабылғанға дейін") == "браузер жабылғанға дейін"


def test_every_country_of_the_catalogue_has_a_name_in_each_language():
    catalogue = load(DEFAULT_CATALOGUE)
    for lang in ("ru", "kk", "en"):
        config = catalogue.public_config("default", lang)
        for vendor in config["vendors"]:
            if vendor["country"]:
                assert vendor["country_name"] not in (None, vendor["country"]), vendor["id"]
            for cookie in vendor["cookies"]:
                assert cookie["lifetime_text"], (vendor["id"], cookie["name"])
                assert not cookie["lifetime_text"].endswith((" y", " d", " h"))
    assert country_name("US", "kk") == "АҚШ" and country_name("RU", "ru") == "Россия"
