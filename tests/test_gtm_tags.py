"""kelisim.scanner.gtm_tags: the container's tags per consent state, from the requests'
initiators."""

from __future__ import annotations

from kelisim.scanner.gtm_tags import by_state
from kelisim.scanner.model import Observation

GTM = "https://www.googletagmanager.com/gtm.js?id=GTM-DEMO"
METRIKA = "https://mc.yandex.ru/metrika/tag.js?id=1"


def _request(state: str, url: str, initiator: str | None, vendor: str | None, kind="script"):
    host = url.split("/")[2]
    return Observation(
        kind="request", state=state, page="https://creditplus.kz/", phase="final",
        key=f"request:{host}", host=host, url=url, resource_type=kind, initiator=initiator,
        vendor=vendor,
    )  # fmt: skip


def test_tags_inserted_by_the_container_are_reported_per_state() -> None:
    observations = [
        _request("accept", GTM, "https://creditplus.kz/", "google_tag_manager"),
        _request("accept", METRIKA, GTM, "yandex_metrika"),
        _request("accept", "https://mc.yandex.ru/watch/1", METRIKA, "yandex_metrika", "ping"),
        # Pasted into the page by hand, not by GTM: not a container tag.
        _request("accept", "https://vk.com/js/api/openapi.js", "https://creditplus.kz/", "vk"),
        _request("reject", GTM, "https://creditplus.kz/", "google_tag_manager"),
        _request("none", "https://creditplus.kz/app.js", "https://creditplus.kz/", None),
    ]
    result = by_state(observations)
    assert result["reject"] == [] and result["none"] == []
    assert result["accept"] == [
        {
            "vendor": "yandex_metrika",
            "scripts": [METRIKA],
            "requests": 2,
            "pages": ["https://creditplus.kz/"],
        }
    ]


def test_it_reads_report_json_dicts_too() -> None:
    rows = [
        _request("vendor:yandex_metrika", GTM, None, "google_tag_manager").to_dict(),
        _request("vendor:yandex_metrika", METRIKA, GTM, "yandex_metrika").to_dict(),
    ]
    assert by_state(rows)["vendor:yandex_metrika"][0]["vendor"] == "yandex_metrika"
