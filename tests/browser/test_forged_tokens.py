"""Forged consent cookies in real Chromium: tokens that are *correctly signed*
but not consent — another salt, a retired key, expired, the app's own Flask session cookie — show
the banner and load nothing. test_gating.py covers edited, truncated and garbage cookies."""

from __future__ import annotations

import secrets
import time

import pytest

from kelisim.domain.tokens import ConsentClaims, TokenCodec
from tests.support.banner_site import new_visit
from tests.support.contract import VENDOR_IDS

pytestmark = pytest.mark.browser


def test_signed_but_foreign_tokens_are_no_consent(gated_browser, site, kelisim, vendor_hosts):
    app = kelisim.app
    svc = app.extensions["kelisim"]
    keys = list(svc.settings.token_keys)
    now = int(time.time())
    claims = ConsentClaims(
        consent_id=secrets.token_urlsafe(18),
        event_seq=1,
        revision=svc.catalogue.revision,
        action="accept_all",
        granted=tuple(VENDOR_IDS),
        issued_at=now,
        expires_at=now + 86400,
    )
    tokens = {
        "other salt": TokenCodec(keys, salt="kelisim.consent.v0").issue(claims),
        "retired key": TokenCodec([secrets.token_urlsafe(32)]).issue(claims),
        "expired": svc.tokens.issue(ConsentClaims(**{**claims.__dict__, "expires_at": now - 5})),
        "flask session": app.session_interface.get_signing_serializer(app).dumps(
            {"c": claims.consent_id, "g": list(VENDOR_IDS)}
        ),
    }
    for kind, value in tokens.items():
        site.log.clear()
        visit = new_visit(gated_browser, site, kelisim, vendor_hosts)
        visit.context.add_cookies([{"name": "kelisim_consent", "value": value, "url": site.base}])
        visit.open()
        visit.settle(0.5)
        assert visit.banner_visible(), kind
        assert visit.vendor_requests() == [], kind
        assert visit.loaded() == set(), kind
        assert visit.page.evaluate("kelisim.get().decided") is False, kind
        visit.context.close()
