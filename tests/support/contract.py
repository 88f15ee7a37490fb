"""Public contracts the tests hold Kelisim to, written once: vendor ids, `window.kelisim`, the
CLI, scanner rule ids."""

# Sites, CI scans and the scanner's reports name vendors by these ids; changing one breaks them.
VENDOR_IDS = (
    "google_tag_manager",
    "google_analytics",
    "firebase_analytics",
    "yandex_metrika",
    "appsflyer",
    "userx",
    "vk",
    "mail_ru",
    "amplitude",
    "mytarget",
    "microsoft_clarity",
    "juicyscore",
    "matomo",
    "flocktory",
)
