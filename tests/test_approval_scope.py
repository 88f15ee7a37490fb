"""The second-admin approval: it covers every change that widens what may run on or be contacted
from the lender's pages, and the second admin must be independent of the requester."""

from __future__ import annotations

import copy

import pytest
import yaml

from kelisim.domain.approval_scope import widened_reach
from kelisim.services.revisions import to_yaml
from tests.support.admin import PASSWORD, add_user, csrf_token, login, with_admin


def _revisions(app):
    return app.extensions["kelisim"].revisions


def _request(app, change) -> object:
    """Import a changed copy of the live document as the draft, then publish it as `boss`."""
    revisions = _revisions(app)
    document = copy.deepcopy(revisions.live().document)
    change(document)
    revisions.import_yaml("boss", to_yaml(document), "test.yaml")
    return revisions.publish("boss", revisions.draft_hash())


def _vk(document):
    return next(v for v in document["vendors"] if v["id"] == "vk")


@pytest.mark.parametrize(
    "change, expected",
    [
        (lambda d: _vk(d)["beacon_hosts"].append("collect.evil.example"), "beacon_hosts"),
        (lambda d: _vk(d).setdefault("paths", []).append("/exfil"), "paths"),
        (lambda d: d["sites"]["default"]["origins"].append("https://evil.example"), "origins"),
        (lambda d: _vk(d).__setitem__("iframe_hosts", ["frame.evil.example"]), "iframe_hosts"),
        (lambda d: _vk(d).__setitem__("pixel_hosts", ["px.evil.example"]), "pixel_hosts"),
    ],
)
def test_every_widening_field_is_found(app, change, expected):
    live = _revisions(app).live().document
    draft = copy.deepcopy(live)
    change(draft)
    found = widened_reach(live, draft)
    assert found and expected in repr(found)
    assert widened_reach(draft, live) == {}  # taking it away again widens nothing


@pytest.mark.parametrize(
    "change",
    [
        lambda d: _vk(d)["beacon_hosts"].append("collect.evil.example"),
        lambda d: _vk(d).setdefault("paths", []).append("/exfil"),
        lambda d: d["sites"]["default"]["origins"].append("https://evil.example"),
    ],
)
def test_new_beacon_hosts_paths_and_cors_origins_wait_for_a_second_admin(app, change):
    result = _request(app, change)
    assert result.published is None and result.approval is not None
    assert _revisions(app).live().number == 1


def test_text_edits_still_publish_at_once(app):
    result = _request(app, lambda d: d["texts"]["en"].__setitem__("title", "New title"))
    assert result.published is not None


@pytest.fixture
def admin_app(app):
    admin_app = with_admin(app)
    add_user(admin_app, "boss", "admin")
    add_user(admin_app, "aigerim", "admin")
    return admin_app


def _client(app, username):
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client


def _approve(client, approval_id: int):
    path = f"/admin/revisions/approvals/{approval_id}"
    return client.post(f"{path}/approve", data={"csrf_token": csrf_token(client, path)})


def _add_admin(client, username: str) -> None:
    added = client.post(
        "/admin/users",
        data={
            "csrf_token": csrf_token(client, "/admin/users"),
            "username": username,
            "password": PASSWORD,
            "password_repeat": PASSWORD,
            "role": "admin",
        },
    )
    assert added.status_code == 302
    client.get(added.headers["Location"])  # shows (and so consumes) the "user added" notice


def test_an_admin_made_by_the_requester_cannot_approve_their_request(admin_app):
    boss = _client(admin_app, "boss")
    _add_admin(boss, "sockpuppet")
    sockpuppet = _client(admin_app, "sockpuppet")
    _add_admin(sockpuppet, "sockpuppet2")  # one step removed is still the requester's making
    sockpuppet2 = _client(admin_app, "sockpuppet2")

    result = _request(admin_app, lambda d: _vk(d)["script_hosts"].append("cdn.evil.example"))
    approval_id = result.approval.id
    for puppet in (sockpuppet, sockpuppet2):
        refused = _approve(puppet, approval_id)
        assert refused.status_code == 302
        assert _revisions(admin_app).live().number == 1
        page = puppet.get(refused.headers["Location"]).get_data(as_text=True)
        assert "роль выдал не автор запроса" in page

    # An admin the requester did not make is a real second opinion.
    assert _approve(_client(admin_app, "aigerim"), approval_id).status_code == 302
    assert _revisions(admin_app).live().number == 2


def test_roles_record_who_granted_them(admin_app):
    accounts = admin_app.extensions["kelisim_admin"].accounts
    accounts.set_role("aigerim", "editor", actor="boss")
    accounts.set_role("aigerim", "admin", actor="boss")
    assert not accounts.independent_of("aigerim", "boss")
    accounts.set_role("aigerim", "admin", actor="cli")
    assert accounts.independent_of("aigerim", "boss")
    assert not accounts.independent_of("boss", "boss")


def test_the_yaml_round_trip_keeps_new_fields(app):
    document = copy.deepcopy(_revisions(app).live().document)
    assert yaml.safe_load(to_yaml(document))["sites"] == document["sites"]
