"""The `kelisim` command: a thin layer of verbs over the app factory and the consent store.

Every failure an operator can cause (a bad vendors.yaml, a database that is down or not migrated)
ends in a message naming what to fix and a non-zero exit, never a traceback: 1 means "checked, and
the answer is no" (a changed log), 2 means "could not run".
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from kelisim.cli import log as log_cli
from kelisim.cli import requests as requests_cli
from kelisim.cli.exit_codes import EPILOG, ExitCode
from kelisim.domain.catalogue import CatalogueError
from kelisim.domain.workdays import WorkCalendarError
from kelisim.settings import Settings
from kelisim.store import audit_tree

EXIT_OK, EXIT_FAILED, EXIT_ERROR = ExitCode.OK, ExitCode.FAILED, ExitCode.ERROR

# Paths that carry a consent id, which the request log must not hold in clear (no personal data
# in logs).

# Verbs that belong to another package keep their own options: the rest of the command line is
# handed to that package's main() whole, so `kelisim demo --help` shows the demo's own help.
_DELEGATED_VERBS = {
    "demo": (
        "kelisim.demo.run",
        "run the demo lender site, fake vendor hosts and the CMP together",
    ),
    "scan": ("kelisim.scanner.cli", "scan a site in every consent state and report violations"),
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kelisim",
        description="Kelisim: self-hosted cookie and tracker consent manager.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="COMMAND")

    serve = verbs.add_parser("serve", help="run the development server")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (8000)")
    serve.add_argument(
        "--production",
        action="store_true",
        help="run under gunicorn, refusing generated secrets and non-durable databases",
    )
    serve.add_argument(
        "--workers", type=int, default=None, help="gunicorn workers (production; sized by default)"
    )
    serve.add_argument(
        "--threads", type=int, default=None, help="threads per worker (production; 24)"
    )

    db = verbs.add_parser("db", help="the consent log database")
    db_verbs = db.add_subparsers(dest="db_verb", required=True, metavar="ACTION")
    db_verbs.add_parser("upgrade", help="create or migrate the schema to the newest version")
    db_verbs.add_parser(
        "verify", help="rebuild the Merkle tree from the rows and check every signed checkpoint"
    )
    purge = db_verbs.add_parser(
        "purge",
        help="destroy personal fields of consents that ended longer than the retention ago",
    )
    purge.add_argument("--dry-run", action="store_true", help="only count what would be destroyed")

    export = verbs.add_parser("export", help="export the live catalogue as vendors.yaml")
    export_verbs = export.add_subparsers(dest="export_verb", required=True, metavar="WHAT")
    export_catalogue = export_verbs.add_parser("catalogue", help="the live catalogue as YAML")
    export_catalogue.add_argument("--out", help="write to this file instead of standard output")
    import_ = verbs.add_parser("import", help="load a vendors.yaml into the admin draft")
    import_verbs = import_.add_subparsers(dest="import_verb", required=True, metavar="WHAT")
    import_catalogue = import_verbs.add_parser("catalogue", help="validate FILE, load the draft")
    import_catalogue.add_argument("file", help="the vendors.yaml to load")

    log_cli.add_parser(verbs)
    requests_cli.add_parser(verbs)

    users = verbs.add_parser("users", help="staff accounts of the admin UI", add_help=False)
    users.add_argument("users_args", nargs=argparse.REMAINDER)

    for verb, (_module, summary) in _DELEGATED_VERBS.items():
        verbs.add_parser(verb, help=summary, add_help=False)
    return parser


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
    module_name = _DELEGATED_VERBS[verb][0]
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
    from kelisim.store import ConsentStore

    return ConsentStore(settings.database_url)


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


def _serve_production(settings: Settings, args: argparse.Namespace) -> int:
    """gunicorn behind the startup checks of src/kelisim/cli/production.py; a refusal is one line,
    exit 2."""
    from kelisim.cli.production import THREADS, ProductionError, ServeOptions, serve

    options = ServeOptions(
        host=args.host, port=args.port, workers=args.workers, threads=args.threads or THREADS
    )
    try:
        serve(settings, options)
    except ProductionError as error:
        print(f"kelisim: refusing to start in production: {error}", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_OK


def _users(argv: Sequence[str]) -> int:
    from kelisim.cli.users import main_users

    try:
        settings = Settings.from_env()
    except (OSError, ValueError) as error:
        print(f"kelisim: cannot read the settings: {error}", file=sys.stderr)
        return EXIT_ERROR
    return main_users(argv, settings)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:2] == ["scan", "schedule"]:  # scheduled scans run here, not in the scanner's CLI
        from kelisim.services.scheduled_scans import main as schedule_main

        return schedule_main(argv[2:])
    if argv and argv[0] in _DELEGATED_VERBS:
        return _delegate(argv[0], argv[1:])
    if argv and argv[0] == "users":  # its own parser, so `kelisim users --help` is its help
        return _users(argv[1:])
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exit_:  # --help, or a usage error argparse has already explained
        return exit_.code if isinstance(exit_.code, int) else EXIT_ERROR
    try:
        settings = Settings.from_env()
    except (OSError, ValueError) as error:
        print(f"kelisim: cannot read the settings: {error}", file=sys.stderr)
        return EXIT_ERROR
    try:
        if args.verb == "serve" and args.production:
            return _serve_production(settings, args)
        if args.verb == "serve":
            return _serve(settings, args.host, args.port)
        if args.verb == "export":
            return _export_catalogue(settings, args.out)
        if args.verb == "import":
            return _import_catalogue(settings, args.file)
        if args.verb == "log":
            return log_cli.run(args, lambda: _store(settings))
        if args.verb == "requests":
            return requests_cli.run(args, settings, lambda: _store(settings))
        if args.verb == "users":
            from kelisim.cli.users import main_users

            return main_users(args.users_args, settings)
        if args.db_verb == "purge":
            return _db_purge(settings, args.dry_run)
        if args.db_verb == "upgrade":
            return _db_upgrade(settings)
        return _db_verify(settings)
    except CatalogueError as error:
        print(f"kelisim: {settings.catalogue_path} is not valid:", file=sys.stderr)
        for problem in error.problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_ERROR
    except WorkCalendarError as error:
        print(f"kelisim: KELISIM_HOLIDAYS_FILE is not valid: {error}", file=sys.stderr)
        return EXIT_ERROR
    except SQLAlchemyError as error:
        return _database_error(settings, error)
    except ModuleNotFoundError as error:
        return _missing_part(error, args.verb)
    except OSError as error:
        print(f"kelisim: {error}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
