"""The `kelisim` command: a thin layer of verbs over the app factory and the consent store.

Every failure an operator can cause (a bad vendors.yaml, a database that is down or not migrated)
ends in a message naming what to fix and a non-zero exit, never a traceback: 1 means "checked, and
the answer is no" (a broken chain), 2 means "could not run".
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
from collections.abc import Sequence
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from cmp.catalogue import CatalogueError
from cmp.settings import Settings

EXIT_OK, EXIT_FAILED, EXIT_ERROR = 0, 1, 2

# Paths that carry a consent id, which the request log must not hold in clear (compliance.md §3.8).
_CONSENT_PATH = re.compile(r"(/consent/)([A-Za-z0-9_-]+)")

# Verbs that belong to another package keep their own options: the rest of the command line is
# handed to that package's main() whole, so `kelisim demo --help` shows the demo's own help.
_DELEGATED_VERBS = {
    "demo": ("demo.run", "run the demo lender site, fake vendor hosts and the CMP together"),
    "scan": ("scanner.cli", "scan a site in every consent state and report violations"),
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kelisim", description="Kelisim: self-hosted cookie and tracker consent manager."
    )
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="COMMAND")

    serve = verbs.add_parser("serve", help="run the development server")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (8000)")

    db = verbs.add_parser("db", help="the consent log database")
    db_verbs = db.add_subparsers(dest="db_verb", required=True, metavar="ACTION")
    db_verbs.add_parser("upgrade", help="create or migrate the schema to the newest version")
    db_verbs.add_parser("verify", help="recompute every event digest and hash-chain link")

    users = verbs.add_parser("users", help="staff accounts of the admin UI", add_help=False)
    users.add_argument("users_args", nargs=argparse.REMAINDER)

    for verb, (_module, summary) in _DELEGATED_VERBS.items():
        verbs.add_parser(verb, help=summary, add_help=False)
    return parser


def _delegate(verb: str, argv: Sequence[str]) -> int:
    module_name = _DELEGATED_VERBS[verb][0]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        print(f"kelisim {verb}: not available in this installation ({error})", file=sys.stderr)
        return EXIT_ERROR
    return int(module.main(list(argv)))


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
    from cmp.store import ConsentStore

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
    finally:
        store.close()
    if report.ok:
        print(f"ok: {report.checked} events verified")
        return EXIT_OK
    for problem in report.problems:
        print(f"problem: {problem}")
    print(
        f"FAILED: {len(report.problems)} problem(s) in {report.checked} events checked",
        file=sys.stderr,
    )
    return EXIT_FAILED


def _redacted_path(path: str) -> str:
    """The request path for the access log: no query string, consent ids replaced by a marker."""
    return _CONSENT_PATH.sub(r"\1<id>", path.split("?", 1)[0])


def _serve(settings: Settings, host: str, port: int) -> int:
    from werkzeug.serving import WSGIRequestHandler, run_simple

    from cmp import create_app, neutralise

    app = create_app(settings)

    class RequestLog(WSGIRequestHandler):
        """Werkzeug's access log writes the client IP and the full path; this one writes neither."""

        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            path = neutralise(_redacted_path(self.path))
            self.log("info", '"%s %s" %s', neutralise(self.command or "-"), path, code)

        def address_string(self) -> str:
            return "-"

    print(f"Kelisim is running at http://{host}:{port}/ (development server; Ctrl+C to stop)")
    try:
        run_simple(host, port, app, threaded=True, request_handler=RequestLog)
    finally:
        app.extensions["kelisim"].close()
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in _DELEGATED_VERBS:
        return _delegate(argv[0], argv[1:])
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
        if args.verb == "serve":
            return _serve(settings, args.host, args.port)
        if args.verb == "users":
            from cmp.admin.cli_users import main_users

            return main_users(args.users_args, settings)
        if args.db_verb == "upgrade":
            return _db_upgrade(settings)
        return _db_verify(settings)
    except CatalogueError as error:
        print(f"kelisim: {settings.catalogue_path} is not valid:", file=sys.stderr)
        for problem in error.problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_ERROR
    except SQLAlchemyError as error:
        return _database_error(settings, error)
    except OSError as error:
        print(f"kelisim: {error}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
