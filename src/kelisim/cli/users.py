"""`kelisim users add | list | disable | enable | set-password | set-role | unlock | reset-2fa`.

The first admin has to come from somewhere, and an operator locked out of the UI needs a way back
in, so accounts can be managed where only the server's operator can reach. A password is never a
command-line argument (it would land in the shell history and in `ps`): it is read from a prompt,
or from standard input with `--password-stdin` for scripts. Every change is in the audit log with
the actor `cli`.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from sqlalchemy.exc import SQLAlchemyError

from kelisim.cli.exit_codes import ExitCode
from kelisim.services.accounts import ROLES, AccountError, Accounts
from kelisim.settings import Settings, demo_environment

EXIT_OK, EXIT_FAILED, EXIT_ERROR = ExitCode.OK, ExitCode.FAILED, ExitCode.ERROR
CLI_ACTOR = "cli"
DEMO_STATE_DIR = Path("var/demo")  # `kelisim demo`'s default --state-dir


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    """The `users` verbs; pass an existing (sub)parser to attach them to `kelisim users`."""
    parser = parser or argparse.ArgumentParser(prog="kelisim users", description=__doc__)
    parser.add_argument(
        "--demo", action="store_true", help="use the database of `kelisim demo`, not the server's"
    )
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=DEMO_STATE_DIR,
        help=f"with --demo: the demo's --state-dir (default {DEMO_STATE_DIR})",
    )
    actions = parser.add_subparsers(dest="users_verb", required=True, metavar="ACTION")

    add = actions.add_parser("add", help="create a staff account")
    add.add_argument("username")
    add.add_argument(
        "--role", choices=ROLES, default="viewer", help="viewer (default), editor or admin"
    )
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )

    actions.add_parser("list", help="list staff accounts")

    disable = actions.add_parser("disable", help="disable an account and end its sessions")
    disable.add_argument("username")

    enable = actions.add_parser("enable", help="enable a disabled account")
    enable.add_argument("username")

    password = actions.add_parser("set-password", help="set a new password (ends its sessions)")
    password.add_argument("username")
    password.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )

    unlock = actions.add_parser(
        "unlock", help="lift a login lock-out and reset the account's back-off"
    )
    unlock.add_argument("username")

    reset = actions.add_parser(
        "reset-2fa", help="remove an account's second factor (it enrols again at next login)"
    )
    reset.add_argument("username")

    role = actions.add_parser("set-role", help="change an account's role")
    role.add_argument("username")
    role.add_argument("role", choices=ROLES)
    return parser


def read_password(from_stdin: bool, stdin: TextIO | None = None) -> str:
    """One line from stdin (newline dropped), or typed twice at a prompt that does not echo."""
    if from_stdin:
        line = (stdin or sys.stdin).readline()
        return line[:-1] if line.endswith("\n") else line
    if not (stdin or sys.stdin).isatty():
        # getpass would fall back to reading a pipe with a warning, or die on EOF with a traceback.
        raise AccountError(
            "no_terminal",
            "no terminal to ask for the password on; pipe it in with --password-stdin",
        )
    first = getpass.getpass("New password: ")
    second = getpass.getpass("Repeat it: ")
    if first != second:
        raise AccountError("passwords_differ", "the two passwords differ")
    return first


def main_users(
    argv: Sequence[str],
    settings: Settings,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run one `users` action; 0 done, 1 refused (the message says why), 2 could not run."""
    out, err = stdout or sys.stdout, stderr or sys.stderr
    try:
        args = build_parser().parse_args(list(argv))
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else EXIT_ERROR
    if args.demo:
        settings = Settings.from_env(demo_environment(args.state_dir))

    from kelisim.store import ConsentStore
    from kelisim.web.admin.shell import store_engines

    store = ConsentStore(settings.database_url)
    try:
        engine, write_engine = store_engines(store)
        accounts = Accounts(engine, write_engine=write_engine, throttle_key=settings.secret_key)
        return _run(args, accounts, stdin, out)
    except AccountError as error:
        print(f"kelisim users: {error.message}", file=err)
        return EXIT_FAILED
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or type(error).__name__).strip().splitlines()
        first = reason[0] if reason else type(error).__name__
        if "no such table" in first or ("relation" in first and "does not exist" in first):
            first = "the admin tables are missing; run `kelisim db upgrade`"
        print(f"kelisim users: cannot use the database: {first}", file=err)
        return EXIT_ERROR
    finally:
        store.close()


def _run(args: argparse.Namespace, accounts: Accounts, stdin: TextIO | None, out: TextIO) -> int:
    verb = args.users_verb
    if verb == "list":
        users = accounts.users()
        if not users:
            print(
                "no accounts yet: create the first with `kelisim users add NAME --role admin`",
                file=out,
            )
            return EXIT_OK
        print(f"{'USERNAME':<32} {'ROLE':<8} {'STATUS':<9} LAST LOGIN (UTC)", file=out)
        for user in users:
            status = "disabled" if user.disabled else "active"
            last = user.last_login_at.strftime("%Y-%m-%d %H:%M") if user.last_login_at else "never"
            print(f"{user.username:<32} {user.role:<8} {status:<9} {last}", file=out)
        return EXIT_OK
    if verb == "add":
        if accounts.find(args.username) is not None:
            raise AccountError("username_taken", f"username: {args.username!r} already exists")
        user = accounts.create_user(
            args.username, read_password(args.password_stdin, stdin), args.role, actor=CLI_ACTOR
        )
        print(f"ok: added {user.username} ({user.role})", file=out)
    elif verb == "disable":
        user = accounts.set_disabled(args.username, True, actor=CLI_ACTOR)
        print(f"ok: disabled {user.username}; its sessions are ended", file=out)
    elif verb == "enable":
        user = accounts.set_disabled(args.username, False, actor=CLI_ACTOR)
        print(f"ok: enabled {user.username}", file=out)
    elif verb == "set-password":
        if accounts.find(args.username) is None:
            raise AccountError("unknown_user", f"username: no account {args.username!r}")
        password = read_password(args.password_stdin, stdin)
        user = accounts.set_password(args.username, password, actor=CLI_ACTOR)
        print(f"ok: new password set for {user.username}; its sessions are ended", file=out)
    elif verb == "unlock":
        had_lock = accounts.unlock(args.username, actor=CLI_ACTOR)
        state = "its lock is lifted" if had_lock else "it had no lock"
        print(f"ok: unlocked {accounts.find(args.username).username}; {state}", file=out)
    elif verb == "reset-2fa":
        from kelisim.services.audit import AuditLog
        from kelisim.services.mfa import SecondFactor

        user = accounts.find(args.username)
        if user is None:
            raise AccountError("unknown_user", f"username: no account {args.username!r}")
        audit = AuditLog(accounts.write_engine)
        SecondFactor(accounts.engine, accounts.write_engine, audit, accounts.clock).reset(
            user.id, user.username, actor=CLI_ACTOR
        )
        print(f"ok: second factor of {user.username} removed; it enrols again", file=out)
    elif verb == "set-role":
        user = accounts.set_role(args.username, args.role, actor=CLI_ACTOR)
        print(f"ok: {user.username} is now {user.role}", file=out)
    return EXIT_OK
