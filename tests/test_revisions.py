"""kelisim.services.revisions against the real database: seeding from vendors.yaml, the draft,
publishing, approvals, other workers following a publish, and the `kelisim export|import catalogue`
verbs."""

from __future__ import annotations

import pytest
import yaml
from sqlalchemy import create_engine, inspect

from kelisim.cli.main import main
from kelisim.domain.catalogue import CatalogueError, load
from kelisim.services.revisions import RevisionError, added_script_hosts, diff, read_yaml, to_yaml
from kelisim.settings import DEFAULT_CATALOGUE
from kelisim.store.revision_tables import metadata as revision_metadata
from kelisim.web.app import create_app

CATALOGUE = DEFAULT_CATALOGUE


def revisions_of(app):
    return app.extensions["kelisim"].revisions


def test_the_repository_catalogue_round_trips_through_a_document_without_loss():
    original = load(CATALOGUE)
    document, catalogue = read_yaml(CATALOGUE.read_text(encoding="utf-8"), "vendors.yaml")
    assert catalogue.content_hash == original.content_hash
    exported = to_yaml(document)
    again, reloaded = read_yaml(exported, "exported.yaml")
    assert again == document and reloaded.content_hash == original.content_hash
    assert to_yaml(again) == exported  # stable: a second export is byte-identical


def test_the_migration_creates_exactly_the_tables_the_code_queries(app, database_url):
    engine = create_engine(database_url)
    try:
        inspector = inspect(engine)
        for table in revision_metadata.sorted_tables:
            columns = {column["name"] for column in inspector.get_columns(table.name)}
            assert columns == set(table.columns.keys()), table.name
    finally:
        engine.dispose()


def test_a_fresh_database_is_seeded_with_the_files_revision(app):
    revisions = revisions_of(app)
    live = revisions.live()
    assert live.number == 1 and live.published_by == "vendors.yaml"
    assert live.content_hash == load(CATALOGUE).content_hash
    assert revisions.changes() == []
    assert app.extensions["kelisim"].catalogue.content_hash == live.content_hash


def test_a_file_with_a_higher_revision_is_published_at_start_and_a_lower_one_is_not(
    app, settings, tmp_path
):
    revisions_of(app).set_texts("boss", "en", {"title": "Edited in the admin"})
    bumped = tmp_path / "vendors-2.yaml"
    text = CATALOGUE.read_text(encoding="utf-8")
    bumped.write_text(text.replace("\nrevision: 1 ", "\nrevision: 2 ", 1), encoding="utf-8")
    second = create_app(settings.with_changes(catalogue_path=bumped))
    try:
        assert revisions_of(second).live().number == 2
        # The draft kept its unpublished edit on top of the new revision.
        [change] = revisions_of(second).changes()
        assert change.after == "Edited in the admin"
    finally:
        second.extensions["kelisim"].close()
    # Restarting with the old file does not roll the live catalogue back.
    third = create_app(settings)
    try:
        assert third.extensions["kelisim"].catalogue.revision == 2
    finally:
        third.extensions["kelisim"].close()


def test_another_worker_serves_a_published_revision_without_restart(app, settings):
    worker = create_app(settings.with_changes(extra={"catalogue_refresh_seconds": 0}))
    try:
        client = worker.test_client()
        assert client.get("/api/v1/config?site=default&lang=en").get_json()["revision"] == 1
        revisions = revisions_of(app)
        revisions.set_texts("boss", "en", {"title": "New title"})
        result = revisions.publish("boss", revisions.draft_hash())
        assert result.published is not None and result.published.number == 2
        body = client.get("/api/v1/config?site=default&lang=en").get_json()
        assert body["revision"] == 2 and body["texts"]["title"] == "New title"
        assert worker.extensions["kelisim"].store.snapshot(body["hash"]) is not None
    finally:
        worker.extensions["kelisim"].close()


def test_publish_refuses_a_draft_changed_after_review_and_an_empty_one(app):
    revisions = revisions_of(app)
    with pytest.raises(RevisionError) as nothing:
        revisions.publish("boss", revisions.draft_hash())
    assert nothing.value.code == "nothing"
    revisions.set_texts("boss", "en", {"title": "One"})
    reviewed = revisions.draft_hash()
    revisions.set_texts("aigerim", "en", {"title": "Two"})
    with pytest.raises(RevisionError) as changed:
        revisions.publish("boss", reviewed)
    assert changed.value.code == "changed"
    assert revisions.live().number == 1


def test_an_invalid_edit_raises_the_loaders_problems_and_keeps_the_draft(app):
    revisions = revisions_of(app)
    before = revisions.draft().document
    vendor = dict(next(v for v in before["vendors"] if v["id"] == "vk"))
    vendor["data_leaves_kz"] = False
    with pytest.raises(CatalogueError) as error:
        revisions.save_vendor("boss", vendor, "vk")
    assert any(
        p.field == "vendor 'vk': data_leaves_kz" and "visitors must be told" in p.message
        for p in error.value.problems
    )
    assert revisions.draft().document == before


def test_approval_rules(app):
    revisions = revisions_of(app)
    vendor = dict(next(v for v in revisions.draft().document["vendors"] if v["id"] == "vk"))
    vendor["script_hosts"] = [*vendor["script_hosts"], "cdn.vk.example"]
    revisions.save_vendor("boss", vendor, "vk")
    assert added_script_hosts(revisions.live().document, revisions.draft().document) == {
        "vk": ["cdn.vk.example"]
    }
    approval = revisions.publish("boss", revisions.draft_hash()).approval
    assert approval is not None and approval.status == "pending"
    with pytest.raises(RevisionError) as own:
        revisions.approve(approval.id, "boss")
    assert own.value.code == "own_request"
    with pytest.raises(RevisionError) as locked:
        revisions.set_texts("boss", "en", {"title": "x"})
    assert locked.value.code == "pending"
    with pytest.raises(RevisionError):
        revisions.reject(approval.id, "mallory", may_decide_others=False)
    published = revisions.approve(approval.id, "aigerim")
    assert (published.number, published.published_by, published.approved_by) == (
        2,
        "boss",
        "aigerim",
    )
    with pytest.raises(RevisionError) as decided:
        revisions.approve(approval.id, "someone")
    assert decided.value.code == "decided"


def test_diff_names_each_host_and_cookie():
    document, _ = read_yaml(CATALOGUE.read_text(encoding="utf-8"), "vendors.yaml")
    changed = yaml.safe_load(to_yaml(document))
    vk = next(v for v in changed["vendors"] if v["id"] == "vk")
    vk["beacon_hosts"].append("new.vk.example")
    vk["cookies"].append({"name": "x", "match": "prefix", "party": "first", "lifetime": "30d"})
    changed["texts"]["kk"]["title"] = "Жаңа"
    rows = {(c.section, c.item, c.field, c.before, c.after) for c in diff(document, changed)}
    assert ("vendor", "vk", "beacon_hosts: new.vk.example", None, "✓") in rows
    assert ("vendor", "vk", "cookies: x", None, "prefix, first, 30d") in rows
    assert any(r[:3] == ("texts", "kk", "title") and r[4] == "Жаңа" for r in rows)
    assert len(rows) == 3


# --- the command line -------------------------------------------------------------------------


@pytest.fixture
def kelisim_env(monkeypatch, tmp_path, app, database_url):
    monkeypatch.setenv("KELISIM_DATABASE_URL", database_url)
    monkeypatch.setenv("KELISIM_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("KELISIM_CATALOGUE", raising=False)
    return app


def test_cli_export_then_import_round_trips_with_the_same_hash(kelisim_env, tmp_path, capsys):
    out = tmp_path / "exported.yaml"
    assert main(["export", "catalogue", "--out", str(out)]) == 0
    assert main(["export", "catalogue"]) == 0
    assert capsys.readouterr().out == out.read_text(encoding="utf-8")
    revisions = revisions_of(kelisim_env)
    revisions.set_texts("boss", "en", {"title": "Changed in the draft"})
    assert main(["import", "catalogue", str(out)]) == 0
    assert "loaded into the draft" in capsys.readouterr().out
    assert revisions.changes() == []
    assert revisions.draft_hash() == revisions.live().content_hash == load(out).content_hash


def test_cli_import_reports_every_problem_with_file_and_line(kelisim_env, tmp_path, capsys):
    broken = tmp_path / "broken.yaml"
    text = CATALOGUE.read_text(encoding="utf-8").replace("revision: 1 ", "revision: one ", 1)
    broken.write_text(text, encoding="utf-8")
    before = revisions_of(kelisim_env).draft().document
    assert main(["import", "catalogue", str(broken)]) == 2
    err = capsys.readouterr().err
    line = text.splitlines().index(next(x for x in text.splitlines() if x.startswith("revision:")))
    assert f"{broken}:{line + 1}: revision: expected a whole number" in err
    assert "Traceback" not in err
    assert revisions_of(kelisim_env).draft().document == before
