"""The banner's appearance: the catalogue's optional `appearance` block (file:line problems, a
colour pair below 4.5:1 refused), edited in the admin and published like any catalogue change,
and what the runtime then gets in its config."""

from __future__ import annotations

import pytest
from test_admin_vendors import config, review_and_publish, submit

from kelisim.domain.appearance import contrast_ratio
from kelisim.domain.catalogue import CatalogueError, load, loads
from kelisim.settings import DEFAULT_CATALOGUE
from tests.support.admin import add_user, login, with_admin

SEED = (DEFAULT_CATALOGUE).read_text(encoding="utf-8")


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


def with_block(block: str) -> str:
    return SEED + "appearance:\n" + block


def test_contrast_ratio_matches_wcag() -> None:
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#2b8a3e", "#ffffff") == pytest.approx(4.37, abs=0.01)


def test_a_catalogue_without_appearance_keeps_its_hash_and_config() -> None:
    catalogue = load(DEFAULT_CATALOGUE)
    assert catalogue.appearance.is_default
    assert "appearance" not in catalogue.to_dict()
    assert "appearance" not in catalogue.public_config("default", "ru", "banner")


def test_the_appearance_block_reaches_both_configs() -> None:
    catalogue = loads(
        with_block(
            "  position: modal\n  theme: auto\n  logo_url: https://creditplus.kz/logo.svg\n"
            "  colors:\n    dark: {background: '#101418', text: '#F0F3F6', accent: '#9cc3ff',"
            " accent_text: '#101418'}\n"
        ),
        "vendors.yaml",
    )
    for detail in ("banner", "full"):
        look = catalogue.public_config("default", "kk", detail)["appearance"]
        assert look["position"] == "modal" and look["theme"] == "auto"
        assert look["logo_url"] == "https://creditplus.kz/logo.svg"
        assert look["colors"] == {
            "dark": {
                "background": "#101418",
                "text": "#f0f3f6",
                "accent": "#9cc3ff",
                "accent_text": "#101418",
            }
        }
    assert catalogue.content_hash != load(DEFAULT_CATALOGUE).content_hash


def test_a_low_contrast_pair_is_refused_with_its_line_and_ratio() -> None:
    text = with_block(
        "  colors:\n    light:\n      background: '#ffffff'\n      text: '#999999'\n"
        "      accent: '#0b57b0'\n      accent_text: '#ffffff'\n"
    )
    with pytest.raises(CatalogueError) as raised:
        loads(text, "vendors.yaml")
    (problem,) = raised.value.problems
    assert problem.field == "appearance.colors.light.text"
    assert problem.line == text.splitlines().index("      text: '#999999'") + 1
    assert "2.85:1" in problem.message and "4.5:1" in problem.message


def test_bad_values_name_file_line_and_field() -> None:
    text = with_block(
        "  position: top\n  theme: sepia\n  logo_url: http://creditplus.kz/logo.svg\n"
        "  colors:\n    light: {background: white, text: '#000000'}\n"
    )
    with pytest.raises(CatalogueError) as raised:
        loads(text, "vendors.yaml")
    fields = {problem.field for problem in raised.value.problems}
    assert {
        "appearance.position",
        "appearance.theme",
        "appearance.logo_url",
        "appearance.colors.light.background",
        "appearance.colors.light.accent",
    } <= fields
    assert all(str(p).startswith("vendors.yaml:") for p in raised.value.problems)


@pytest.fixture
def boss(app):
    with_admin(app)
    add_user(app, "boss", "admin")
    client = app.test_client()
    login(client, "boss")
    return client


def test_admin_refuses_a_low_contrast_theme_and_publishes_a_good_one(app, boss, client) -> None:
    page = "/admin/appearance?lang=en"
    refused = submit(
        boss,
        page,
        "appearance-form",
        "/admin/appearance",
        position="box",
        light_custom="y",
        light_background="#ffffff",
        light_text="#1f2328",
        light_accent="#7fa7d9",
        light_accent_text="#ffffff",
    )
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert 'id="error-light_accent"' in html
    assert "2.49:1, below the 4.5:1" in html
    # Nothing was saved: the form shows the built-in look again.
    again = boss.get(page).get_data(as_text=True)
    assert 'value="bar" selected' in again and "7fa7d9" not in again
    saved = submit(
        boss,
        page,
        "appearance-form",
        "/admin/appearance",
        position="box",
        theme="dark",
        light_custom="y",
        light_background="#ffffff",
        light_text="#1f2328",
        light_accent="#0b57b0",
        light_accent_text="#ffffff",
    )
    assert saved.status_code == 302
    assert "appearance" not in config(client)  # a draft reaches no visitor
    published = review_and_publish(boss)
    assert published.status_code == 302
    app.extensions["kelisim"].live.refresh()
    look = config(client)["appearance"]
    assert look["position"] == "box" and look["theme"] == "dark"
    assert look["colors"]["light"]["accent"] == "#0b57b0"
    script = client.get("/cmp.js?site=default&lang=ru").get_data(as_text=True)
    assert '"appearance":{"position":"box","theme":"dark"' in script
