"""`kelisim users add | list | disable | enable | set-password | set-role | unlock | reset-2fa`.

The first admin has to come from somewhere, and an operator locked out of the UI needs a way back
in, so accounts can be managed where only the server's operator can reach. A password is never a
command-line argument (it would land in the shell history and in `ps`): it is read from a prompt,
or from standard input with `--password-stdin` for scripts. Every change is in the audit log with
the actor `cli`.
"""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import click
from sqlalchemy.exc import SQLAlchemyError

from kelisim.cli.invocation import Invocation, run_command
from kelisim.commands import ExitCode
from kelisim.services.accounts import ROLES, AccountError, Accounts
from kelisim.settings import Settings, demo_environment

EXIT_OK, EXIT_FAILED, EXIT_ERROR = ExitCode.OK, ExitCode.FAILED, ExitCode.ERROR
CLI_ACTOR = "cli"
DEMO_STATE_DIR = Path("var/demo")  # `kelisim demo`'s default --state-dir


@dataclass
class _UsersRun:
    """What one `kelisim users` run reads and writes: its settings and its streams."""

    settings: Settings
    stdin: TextIO | None
    out: TextIO
    err: TextIO

    def accounts(self, action: Callable[[Accounts], int]) -> int:
        """Run `action` on the accounts; 1 for a refused change, 2 for a database that is down
        or not migrated, the message saying which."""
        from kelisim.store import ConsentStore
        from kelisim.web.admin.shell import store_engines

        store = ConsentStore(self.settings.database_url)
        try:
            engine, write_engine = store_engines(store)
            found = Accounts(
                engine, write_engine=write_engine, throttle_key=self.settings.secret_key
            )
            return action(found)
        except AccountError as error:
            print(f"kelisim users: {error.message}", file=self.err)
            return EXIT_FAILED
        except SQLAlchemyError as error:
            reason = str(getattr(error, "orig", None) or type(error).__name__).strip().splitlines()
            first = reason[0] if reason else type(error).__name__
            if "no such table" in first or ("relation" in first and "does not exist" in first):
                first = "the admin tables are missing; run `kelisim db upgrade`"
            print(f"kelisim users: cannot use the database: {first}", file=self.err)
            return EXIT_ERROR
        finally:
            store.close()


_USERNAME = click.argument("username")
_PASSWORD_STDIN = click.option(
    "--password-stdin", is_flag=True, help="read the password from standard input"
)


@click.group("users", help="staff accounts of the admin UI (a password is never an argument)")
@click.option("--demo", is_flag=True, help="use the database of `kelisim demo`, not the server's")
@click.option(
    "--state-dir",
    type=click.Path(path_type=Path),
    default=DEMO_STATE_DIR,
    show_default=True,
    help="with --demo: the demo's --state-dir",
)
@click.pass_context
def users(ctx: click.Context, demo: bool, state_dir: Path) -> None:
    """Staff accounts of the admin UI."""
    run = ctx.find_object(_UsersRun)
    if run is None:  # `kelisim users …`: the settings come from the environment
        run = ctx.obj = _UsersRun(
            ctx.find_object(Invocation).settings, None, sys.stdout, sys.stderr
        )
    if demo:
        run.settings = Settings.from_env(demo_environment(state_dir))


@users.command("add", help="create a staff account")
@_USERNAME
@click.option("--role", type=click.Choice(ROLES), default="viewer", show_default=True)
@_PASSWORD_STDIN
@click.pass_obj
def _add(run: _UsersRun, username: str, role: str, password_stdin: bool) -> int:
    def add(accounts: Accounts) -> int:
        if accounts.find(username) is not None:
            raise AccountError("username_taken", f"username: {username!r} already exists")
        password = read_password(password_stdin, run.stdin)
        user = accounts.create_user(username, password, role, actor=CLI_ACTOR)
        print(f"ok: added {user.username} ({user.role})", file=run.out)
        return EXIT_OK

    return run.accounts(add)


@users.command("list", help="list staff accounts")
@click.pass_obj
def _list(run: _UsersRun) -> int:
    def show(accounts: Accounts) -> int:
        found = accounts.users()
        if not found:
            print(
                "no accounts yet: create the first with `kelisim users add NAME --role admin`",
                file=run.out,
            )
            return EXIT_OK
        print(f"{'USERNAME':<32} {'ROLE':<8} {'STATUS':<9} LAST LOGIN (UTC)", file=run.out)
        for user in found:
            status = "disabled" if user.disabled else "active"
            last = user.last_login_at.strftime("%Y-%m-%d %H:%M") if user.last_login_at else "never"
            print(f"{user.username:<32} {user.role:<8} {status:<9} {last}", file=run.out)
        return EXIT_OK

    return run.accounts(show)


def _switch(run: _UsersRun, username: str, disabled: bool) -> int:
    def switch(accounts: Accounts) -> int:
        user = accounts.set_disabled(username, disabled, actor=CLI_ACTOR)
        done = "disabled {}; its sessions are ended" if disabled else "enabled {}"
        print("ok: " + done.format(user.username), file=run.out)
        return EXIT_OK

    return run.accounts(switch)


@users.command("disable", help="disable an account and end its sessions")
@_USERNAME
@click.pass_obj
def _disable(run: _UsersRun, username: str) -> int:
    return _switch(run, username, disabled=True)


@users.command("enable", help="enable a disabled account")
@_USERNAME
@click.pass_obj
def _enable(run: _UsersRun, username: str) -> int:
    return _switch(run, username, disabled=False)


@users.command("set-password", help="set a new password (ends its sessions)")
@_USERNAME
@_PASSWORD_STDIN
@click.pass_obj
def _set_password(run: _UsersRun, username: str, password_stdin: bool) -> int:
    def set_password(accounts: Accounts) -> int:
        if accounts.find(username) is None:
            raise AccountError("unknown_user", f"username: no account {username!r}")
        password = read_password(password_stdin, run.stdin)
        user = accounts.set_password(username, password, actor=CLI_ACTOR)
        print(f"ok: new password set for {user.username}; its sessions are ended", file=run.out)
        return EXIT_OK

    return run.accounts(set_password)


@users.command("unlock", help="lift a login lock-out and reset the account's back-off")
@_USERNAME
@click.pass_obj
def _unlock(run: _UsersRun, username: str) -> int:
    def unlock(accounts: Accounts) -> int:
        had_lock = accounts.unlock(username, actor=CLI_ACTOR)
        state = "its lock is lifted" if had_lock else "it had no lock"
        print(f"ok: unlocked {accounts.find(username).username}; {state}", file=run.out)
        return EXIT_OK

    return run.accounts(unlock)


@users.command(
    "reset-2fa", help="remove an account's second factor (it enrols again at next login)"
)
@_USERNAME
@click.pass_obj
def _reset_2fa(run: _UsersRun, username: str) -> int:
    def reset(accounts: Accounts) -> int:
        from kelisim.services.audit import AuditLog
        from kelisim.services.mfa import SecondFactor

        user = accounts.find(username)
        if user is None:
            raise AccountError("unknown_user", f"username: no account {username!r}")
        audit = AuditLog(accounts.write_engine)
        SecondFactor(accounts.engine, accounts.write_engine, audit, accounts.clock).reset(
            user.id, user.username, actor=CLI_ACTOR
        )
        print(f"ok: second factor of {user.username} removed; it enrols again", file=run.out)
        return EXIT_OK

    return run.accounts(reset)


@users.command("set-role", help="change an account's role")
@_USERNAME
@click.argument("role", type=click.Choice(ROLES))
@click.pass_obj
def _set_role(run: _UsersRun, username: str, role: str) -> int:
    def set_role(accounts: Accounts) -> int:
        user = accounts.set_role(username, role, actor=CLI_ACTOR)
        print(f"ok: {user.username} is now {user.role}", file=run.out)
        return EXIT_OK

    return run.accounts(set_role)


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
    run = _UsersRun(settings, stdin, stdout or sys.stdout, stderr or sys.stderr)
    return run_command(users, list(argv), "kelisim users", obj=run, err=run.err)
