"""Public contracts the tests hold Kelisim to (DESIGN.md, "Public contracts"), written once."""

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
