"""The fake account ids the demo uses, in one place so the site's snippets and the fake hosts agree.

Every id is visibly fake (it spells "kelisim" or is a round test number) so nobody mistakes a demo
hit for a real account's traffic.
"""

from __future__ import annotations

GTM_CONTAINER = "GTM-KELISIM"
GA_MEASUREMENT = "G-KELISIM1"
FIREBASE_MEASUREMENT = "G-KELISIMFB"
FIREBASE_PROJECT = "kelisim-demo"
FIREBASE_APP_ID = "1:123456789012:web:0123456789abcdef"
FIREBASE_API_KEY = "AIzaKelisimDemoKeyNotReal0000000000000"
YANDEX_COUNTER = "12345678"
APPSFLYER_WEB_APP_ID = "kelisim-demo-pba-key"
VK_PIXEL = "VK-RTRG-123456-KeLiS"
TOP_MAIL_RU_COUNTER = "3412345"
MYTARGET_PIXEL = "3412345"
AMPLITUDE_API_KEY = "4b656c6973696d2064656d6f206b6579"  # hex of "Kelisim demo key"
CLARITY_PROJECT = "kelisim01"
JUICYSCORE_API_KEY = "kelisim-demo-juicy-key"
MATOMO_SITE_ID = "1"
FLOCKTORY_SITE_ID = "4321"

# Amplitude names its cookie and storage keys after the first ten characters of the API key.
AMPLITUDE_KEY10 = AMPLITUDE_API_KEY[:10]
