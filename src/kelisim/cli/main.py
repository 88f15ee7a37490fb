"""The `kelisim` command: a thin layer of verbs over the app factory and the consent store.

Every failure an operator can cause (a bad vendors.yaml, a database that is down or not migrated)
ends in a message naming what to fix and a non-zero exit, never a traceback: 1 means "checked, and
the answer is no" (a changed log), 2 means "could not run".
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from typing import Any

import click
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from kelisim.cli import log as log_cli
from kelisim.cli import requests as requests_cli
from kelisim.cli import users as users_cli
from kelisim.cli.invocation import Invocation, SettingsUnreadable, open_store, run_command
from kelisim.commands import EPILOG, ExitCode
from kelisim.domain.catalogue import CatalogueError
from kelisim.domain.workdays import WorkCalendarError
from kelisim.settings import Settings
from kelisim.store import audit_tree

EXIT_OK, EXIT_FAILED, EXIT_ERROR = ExitCode.OK, ExitCode.FAILED, ExitCode.ERROR

# Paths that carry a consent id, which the request log must not hold in clear (no personal data
# in logs).

_DELEGATED_MODULES = {"demo": "kelisim.demo.run", "scan": "kelisim.scanner.cli"}


# The optional parts of an installation (pyproject.toml's extras) by the module each one brings:
# a lender on SQLite installs no PostgreSQL driver, a server that never scans no browser driver.
_EXTRA_OF_MODULE = {"psycopg": "postgres", "playwright": "scan"}


def _missing_part(error: ModuleNotFoundError, verb: str) -> int:
    """Exit code 2 with the one command that installs what is missing; re-raised when the missing
    module belongs to no optional part (a broken installation says so itself)."""
    extra = _EXTRA_OF_MODULE.get((error.name or "").split(".")[0])
    if extra is None:
        raise error
    print(
        f"kelisim {verb}: needs the optional part '{extra}', which is not installed here; "
        f"install it with: pip install 'kelisim[{extra}]'",
        file=sys.stderr,
    )
    return EXIT_ERROR


def _delegate(verb: str, argv: Sequence[str]) -> int:
    module_name = _DELEGATED_MODULES[verb]
    try:
        module = importlib.import_module(module_name)
        return int(module.main(list(argv)))
    except ModuleNotFoundError as error:
        if (error.name or "").split(".")[0] in _EXTRA_OF_MODULE:
            return _missing_part(error, verb)
        print(f"kelisim {verb}: not available in this installation ({error})", file=sys.stderr)
        return EXIT_ERROR


def _describe_database(url: str) -> str:
    """The database as an operator knows it, without the password."""
    try:
        parsed = make_url(url)
    except Exception:
        return "the configured database"
    if parsed.get_backend_name() == "sqlite":
        return f"SQLite database {parsed.database}"
    where = f"{parsed.host or 'localhost'}:{parsed.port or 5432}/{parsed.database or ''}"
    return f"{parsed.get_backend_name()} database at {where}"


def _database_error(settings: Settings, error: SQLAlchemyError) -> int:
    reason = str(getattr(error, "orig", None) or type(error).__name__).strip().splitlines()
    first = reason[0] if reason else type(error).__name__
    if "no such table" in first or ("relation" in first and "does not exist" in first):
        first = "the schema is missing; run `kelisim db upgrade`"
    print(
        f"kelisim: cannot use the {_describe_database(settings.database_url)}: {first}",
        file=sys.stderr,
    )
    return EXIT_ERROR


def _store(settings: Settings) -> Any:
    return open_store(settings)


def _db_upgrade(settings: Settings) -> int:
    store = _store(settings)
    try:
        store.upgrade()
    finally:
        store.close()
    print(f"ok: {_describe_database(settings.database_url)} is at the newest schema")
    return EXIT_OK


def _db_verify(settings: Settings) -> int:
    store = _store(settings)
    try:
        report = store.verify()
        audit = audit_tree.verify(store.engine, store.log.verifier_keys())
    finally:
        store.close()
    for problem in audit.problems:
        print(f"problem: {problem}")
    if audit.first_bad_entry is not None:
        print(f"first bad audit entry: {audit.first_bad_entry}")
    if audit.ok:
        print(
            f"ok: {audit.entries} audit entries verified, the audit tree matches all "
            f"{audit.checkpoints_checked} signed audit checkpoint(s)"
        )
    if report.ok and audit.ok:
        print(
            f"ok: {report.checked} events verified, the tree matches all "
            f"{report.checkpoints_checked} signed checkpoint(s)"
        )
        return EXIT_OK
    if report.ok:
        print(f"FAILED: {len(audit.problems)} problem(s) in the audit log", file=sys.stderr)
        return EXIT_FAILED
    for problem in report.problems:
        print(f"problem: {problem}")
    if report.first_bad_leaf is not None:
        print(f"first bad leaf: {report.first_bad_leaf}")
    print(
        f"FAILED: {len(report.problems)} problem(s) in {report.checked} events checked",
        file=sys.stderr,
    )
    return EXIT_FAILED


def _db_purge(settings: Settings, dry_run: bool) -> int:
    """Retention (Settings.retention_days): redacts like a destroy request; verify still passes."""
    from kelisim.services.audit import AuditLog
    from kelisim.services.subjects import Subjects

    store = _store(settings)
    try:
        subjects = Subjects(store.engine, store.write_engine, AuditLog(store.write_engine), b"")
        report = subjects.purge(settings.retention_days, dry_run=dry_run)
    finally:
        store.close()
    verb = "would destroy" if dry_run else "destroyed"
    print(
        f"{'dry run: ' if dry_run else 'ok: '}{verb} the personal fields of {report.consents} "
        f"consent(s), {report.events} event(s), ended before {report.cutoff:%Y-%m-%d} "
        f"(retention {settings.retention_days} days); {report.skipped_blocked} blocked consent(s) "
        "kept"
    )
    return EXIT_OK


def _revisions(settings: Settings, store: Any) -> Any:
    """The live catalogue's revisions, seeded from vendors.yaml as the app would on start."""
    from kelisim.services.audit import AuditLog
    from kelisim.services.revisions import Revisions

    revisions = Revisions(store.engine, store.write_engine, audit=AuditLog(store.write_engine))
    if revisions.head() is None:
        revisions.bootstrap(settings.catalogue_path)
    return revisions


def _export_catalogue(settings: Settings, out: str | None) -> int:
    from kelisim.services.revisions import to_yaml

    store = _store(settings)
    try:
        live = _revisions(settings, store).live()
    finally:
        store.close()
    text = to_yaml(live.document)
    if out is None:
        sys.stdout.write(text)
        return EXIT_OK
    with open(out, "w", encoding="utf-8") as file:
        file.write(text)
    print(f"ok: revision {live.number} written to {out}", file=sys.stderr)
    return EXIT_OK


def _import_catalogue(settings: Settings, path: str) -> int:
    """Validate FILE (every problem as file:line) and make it the draft; publishing stays a
    reviewed step in the admin UI, where a new script host also needs a second admin."""
    import getpass

    try:
        with open(path, encoding="utf-8") as file:
            text = file.read()
    except UnicodeDecodeError:
        print(f"kelisim: {path} is not UTF-8 text", file=sys.stderr)
        return EXIT_ERROR
    try:
        who = getpass.getuser()
    except Exception:
        who = "unknown"
    store = _store(settings)
    try:
        revisions = _revisions(settings, store)
        catalogue = revisions.import_yaml(f"cli:{who}", text, path)
        changes = revisions.changes()
    except CatalogueError as error:
        print(f"kelisim: {path} is not valid:", file=sys.stderr)
        for problem in error.problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_ERROR
    except ValueError as error:  # RevisionError: e.g. the draft awaits approval
        print(f"kelisim: {error}", file=sys.stderr)
        return EXIT_ERROR
    finally:
        store.close()
    print(
        f"ok: {path} loaded into the draft ({catalogue.content_hash}, {len(changes)} change(s) "
        "against the live revision); review and publish it in the admin UI under Revisions"
    )
    return EXIT_OK


def _serve(settings: Settings, host: str, port: int) -> int:
    from werkzeug.serving import WSGIRequestHandler, run_simple

    from kelisim.web.app import create_app, neutralise
    from kelisim.web.logsafe import redacted_path

    app = create_app(settings)

    class RequestLog(WSGIRequestHandler):
        """Werkzeug's access log writes the client IP and the full path; this one writes neither."""

        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            path = neutralise(redacted_path(self.path))
            self.log("info", '"%s %s" %s', neutralise(self.command or "-"), path, code)

        def address_string(self) -> str:
            return "-"

    print(f"Kelisim is running at http://{host}:{port}/ (development server; Ctrl+C to stop)")
    try:
        run_simple(host, port, app, threaded=True, request_handler=RequestLog)
    finally:
        app.extensions["kelisim"].close()
    return EXIT_OK


def _serve_production(
    settings: Settings, host: str, port: int, workers: int | None, threads: int | None
) -> int:
    """gunicorn behind the startup checks of src/kelisim/cli/production.py; a refusal is one line,
    exit 2."""
    from kelisim.cli.production import THREADS, ProductionError, ServeOptions, serve

    options = ServeOptions(host=host, port=port, workers=workers, threads=threads or THREADS)
    try:
        serve(settings, options)
    except ProductionError as error:
        print(f"kelisim: refusing to start in production: {error}", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_OK


# --- the command tree ----------------------------------------------------------------------------


@click.group(
    "kelisim",
    help="Kelisim: self-hosted cookie and tracker consent manager.",
    # "\b": click keeps the table's lines as they are instead of rewrapping them.
    epilog="\b\n" + EPILOG,
    context_settings={"help_option_names": ["-h", "--help"]},
)
def kelisim() -> None:
    pass


@kelisim.command("serve", help="run the development server (or gunicorn with --production)")
@click.option("--host", default="127.0.0.1", show_default=True, help="address to listen on")
@click.option("--port", type=int, default=8000, show_default=True, help="port to listen on")
@click.option(
    "--production",
    is_flag=True,
    help="run under gunicorn, refusing generated secrets and non-durable databases",
)
@click.option("--workers", type=int, help="gunicorn workers (production; sized by default)")
@click.option("--threads", type=int, help="threads per worker (production; 24)")
@click.pass_obj
def _serve_command(
    invocation: Invocation,
    host: str,
    port: int,
    production: bool,
    workers: int | None,
    threads: int | None,
) -> int:
    if production:
        return _serve_production(invocation.settings, host, port, workers, threads)
    return _serve(invocation.settings, host, port)


@kelisim.group("db", help="the consent log database")
def _db() -> None:
    pass


@_db.command("upgrade", help="create or migrate the schema to the newest version")
@click.pass_obj
def _db_upgrade_command(invocation: Invocation) -> int:
    return _db_upgrade(invocation.settings)


@_db.command(
    "verify", help="rebuild the Merkle tree from the rows and check every signed checkpoint"
)
@click.pass_obj
def _db_verify_command(invocation: Invocation) -> int:
    return _db_verify(invocation.settings)


@_db.command(
    "purge", help="destroy personal fields of consents that ended longer than the retention ago"
)
@click.option("--dry-run", is_flag=True, help="only count what would be destroyed")
@click.pass_obj
def _db_purge_command(invocation: Invocation, dry_run: bool) -> int:
    return _db_purge(invocation.settings, dry_run)


@kelisim.group("export", help="export the live catalogue as vendors.yaml")
def _export() -> None:
    pass


@_export.command("catalogue", help="the live catalogue as YAML")
@click.option("--out", help="write to this file instead of standard output")
@click.pass_obj
def _export_catalogue_command(invocation: Invocation, out: str | None) -> int:
    return _export_catalogue(invocation.settings, out)


@kelisim.group("import", help="load a vendors.yaml into the admin draft")
def _import() -> None:
    pass


@_import.command("catalogue", help="validate FILE, load it as the draft")
@click.argument("file")
@click.pass_obj
def _import_catalogue_command(invocation: Invocation, file: str) -> int:
    return _import_catalogue(invocation.settings, file)


kelisim.add_command(log_cli.log)
kelisim.add_command(requests_cli.requests)
kelisim.add_command(users_cli.users)

# Verbs that belong to another package keep their own options: the rest of the command line is
# handed to that package's main() whole, so `kelisim scan --help` shows the scanner's own help.
_PASS_THROUGH = {
    "context_settings": {"ignore_unknown_options": True, "allow_extra_args": True},
    "add_help_option": False,
}


@kelisim.command(
    "scan", help="scan a site in every consent state and report violations", **_PASS_THROUGH
)
@click.argument("argv", nargs=-1, type=click.UNPROCESSED)
@click.pass_obj
def _scan_command(invocation: Invocation, argv: tuple[str, ...]) -> int:
    if argv[:1] == ("schedule",):  # scheduled scans run here, not in the scanner's CLI
        from kelisim.cli.schedule import schedule

        return run_command(schedule, argv[1:], "kelisim scan schedule", obj=invocation)
    return _delegate("scan", argv)


@kelisim.command(
    "demo", help="run the demo lender site, fake vendor hosts and the CMP together", **_PASS_THROUGH
)
@click.argument("argv", nargs=-1, type=click.UNPROCESSED)
def _demo_command(argv: tuple[str, ...]) -> int:
    return _delegate("demo", argv)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    invocation = Invocation()
    try:
        return run_command(kelisim, argv, "kelisim", obj=invocation)
    except SettingsUnreadable as error:
        print(f"kelisim: cannot read the settings: {error}", file=sys.stderr)
        return EXIT_ERROR
    except CatalogueError as error:
        settings = invocation.settings_if_read
        where = settings.catalogue_path if settings else "the catalogue"
        print(f"kelisim: {where} is not valid:", file=sys.stderr)
        for problem in error.problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_ERROR
    except WorkCalendarError as error:
        print(f"kelisim: KELISIM_HOLIDAYS_FILE is not valid: {error}", file=sys.stderr)
        return EXIT_ERROR
    except SQLAlchemyError as error:
        return _database_error(invocation.settings, error)
    except ModuleNotFoundError as error:
        return _missing_part(error, argv[0] if argv else "kelisim")
    except OSError as error:
        print(f"kelisim: {error}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
