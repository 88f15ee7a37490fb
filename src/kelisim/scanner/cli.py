"""`kelisim scan URL…` (and `kelisim scan merge REPORT…`, kelisim.scanner.merge): the options
(click, as the rest of the `kelisim` command) and the exit codes; the work happens elsewhere.

Exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage or configuration error (a message,
never a traceback), 3 site unreachable.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import re
import sys
from collections.abc import Callable, Coroutine, Iterable, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any, TypeVar
from urllib.parse import urlsplit

import click

from kelisim.commands import ExitCode, run_click
from kelisim.scanner.autoconsent import locate as locate_autoconsent
from kelisim.scanner.config import (
    COOKIE_POLICIES,
    ConfigError,
    ScanConfig,
    apply_file,
    parse_waivers,
    read_yaml,
)
from kelisim.scanner.states import valid_state_names
from kelisim.scanner.triage import EXIT_USAGE
from kelisim.scanner.upload import TOKEN_ENV, UploadError, upload
from kelisim.settings import DEFAULT_CATALOGUE


def _default_catalogue() -> str:
    """The site's own vendors.yaml when run from its folder; the shipped example otherwise."""
    local = Path("vendors.yaml")
    return str(local if local.is_file() else DEFAULT_CATALOGUE)


def _catalogue_option(help_text: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return click.option(
        "--catalogue",
        default=lambda: os.environ.get("KELISIM_CATALOGUE") or _default_catalogue(),
        show_default="$KELISIM_CATALOGUE, else ./vendors.yaml, else the example shipped",
        help=help_text,
    )


_FAIL_ON = click.option(
    "--fail-on", type=click.Choice(("error", "warning")), default="error", show_default=True
)
_BASELINE = click.option("--baseline", help="an earlier report.json: fail only on new findings")
_WAIVERS = click.option("--waivers", help="YAML list of {id, reason, expires?}")
_OUT = click.option("--out", default="scan-report", show_default=True, help="output directory")


@click.command(
    "scan",
    help="Scan a live site in every consent state and report what it sets. "
    "`kelisim scan merge REPORT…` joins the reports of a sharded scan.",
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.argument("urls", nargs=-1, required=True, metavar="URL...")
@_OUT
@_catalogue_option("vendors.yaml to check against")
@click.option("--config", help="scan configuration YAML (selectors, necessary allow-list, …)")
@click.option("--pages", type=int, default=5, show_default=True, help="most pages to visit")
@click.option(
    "--depth", type=int, default=1, show_default=True, help="link depth from the start URLs"
)
@click.option("--no-sitemap", is_flag=True, help="do not read /sitemap.xml")
@click.option(
    "--workers",
    type=int,
    default=ScanConfig.workers,
    show_default=True,
    help="browser contexts in parallel",
)
@click.option(
    "--timeout", type=float, default=30.0, show_default=True, help="page load timeout, seconds"
)
@click.option("--retries", type=int, default=1, show_default=True, help="retries of a failed visit")
@click.option(
    "--settle-max",
    type=float,
    default=8.0,
    show_default=True,
    help="longest wait for a page to settle after load, seconds",
)
@click.option(
    "--quiet-ms",
    type=int,
    default=500,
    show_default=True,
    help="network silence that counts as settled, ms",
)
@click.option(
    "--min-dwell",
    type=float,
    default=5.0,
    show_default=True,
    help="seconds every page is observed past its load event (catches timer tags)",
)
@click.option(
    "--no-clock",
    is_flag=True,
    help="dwell in real time instead of fast-forwarding timers with Playwright's clock",
)
@click.option("--no-interact", is_flag=True, help="do not scroll, move the mouse or focus fields")
@click.option(
    "--states",
    help="comma-separated states: none,reject,accept,withdraw,vendor:<id>,vendor:*,fresh "
    "(default: all)",
)
@click.option("--vendors", help="comma-separated vendor ids for the single-vendor states")
@_FAIL_ON
@_BASELINE
@_WAIVERS
@click.option("--policy-url", help="privacy policy page that must name every vendor (V14)")
@click.option(
    "--resolve",
    multiple=True,
    help="Chromium host-resolver rule, e.g. 'MAP mc.yandex.ru 127.0.0.1:8443' (repeatable)",
)
@click.option("--ca-cert", multiple=True, help="PEM CA (or leaf) to trust (repeatable)")
@click.option("--ignore-https-errors", is_flag=True)
@click.option(
    "--cookie-policy",
    type=click.Choice(COOKIE_POLICIES),
    default="allow-third-party",
    show_default=True,
    help="third-party cookies as Chrome's default (allow) or blocked",
)
@click.option("--no-screenshots", is_flag=True)
@click.option(
    "--autoconsent",
    metavar="DIR",
    help="folder of the @duckduckgo/autoconsent npm package that sets consent on sites with "
    "another consent manager (default: $KELISIM_AUTOCONSENT, else node_modules/.tools/"
    "autoconsent as scripts/npm-tools installs it)",
)
@click.option(
    "--no-autoconsent",
    is_flag=True,
    help="on sites without window.kelisim, click only the scan.yaml consent selectors",
)
@click.option("--upload", metavar="SERVER", help="Kelisim server to send the report to")
@click.option(
    "--upload-token",
    help=f"bearer token for --upload; prefer ${TOKEN_ENV} or --upload-token-file, since a "
    "command line is visible to every user of the machine and kept in CI logs",
)
@click.option("--upload-token-file", help="file holding the bearer token for --upload")
@click.option(
    "--shard",
    metavar="I/N",
    help="judge only shard I of N of the pages (split by a hash of their path; every shard "
    "still crawls all of them); join the reports with `kelisim scan merge`",
)
@click.option(
    "--cluster",
    is_flag=True,
    help="template clustering for large sites: every page is visited in none, reject and "
    "accept; pages whose trackers there are identical (same tag fingerprint) run the other "
    "states once, on the first of them. Off by default: pages alike in those three states "
    "may still differ after a single-vendor grant or a withdrawal (docs/scanner.md)",
)
@click.option("--quiet", is_flag=True, help="no progress output")
def scan_command(**options: Any) -> int:
    return _scan(SimpleNamespace(**options))


def parse_args(argv: Sequence[str]) -> SimpleNamespace:
    """`kelisim scan` options as attributes, without running the scan (benchmarks, tests)."""
    with scan_command.make_context("kelisim scan", list(argv)) as context:
        return SimpleNamespace(**context.params)


def _run_click(command: click.Command, argv: Sequence[str], prog_name: str) -> int:
    # Ctrl+C during a scan: nothing was judged, so not a pass.
    return run_click(command, argv, prog_name, aborted=ExitCode.ERROR)


def _csv(value: str | None) -> list[str] | None:
    return [v.strip() for v in value.split(",") if v.strip()] if value else None


def make_config(args: Any) -> ScanConfig:
    """The scan's configuration from its options (parse_args), checked: ConfigError says what
    is wrong with which option."""
    for url in args.urls:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"'{url}' is not an http(s) URL")
    for name in ("pages", "workers"):
        if getattr(args, name) < 1:
            raise ConfigError(f"--{name} must be at least 1")
    if args.min_dwell < 0:
        raise ConfigError("--min-dwell must be >= 0 seconds")
    if args.depth < 0 or args.retries < 0 or args.timeout <= 0 or args.settle_max <= 0:
        raise ConfigError("--depth and --retries must be >= 0; --timeout and --settle-max > 0")
    config = ScanConfig(
        shard=parse_shard(args.shard),
        urls=list(args.urls),
        out=Path(args.out),
        catalogue=Path(args.catalogue),
        pages=args.pages,
        depth=args.depth,
        workers=args.workers,
        timeout_s=args.timeout,
        retries=args.retries,
        settle_max_s=args.settle_max,
        quiet_ms=args.quiet_ms,
        min_dwell_s=args.min_dwell,
        fast_clock=not args.no_clock,
        interact=not args.no_interact,
        states=_csv(args.states),
        vendors=_csv(args.vendors),
        sitemap=not args.no_sitemap,
        fail_on=args.fail_on,
        baseline=Path(args.baseline) if args.baseline else None,
        policy_url=args.policy_url,
        resolve=list(args.resolve),
        ca_certs=[Path(p) for p in args.ca_cert],
        ignore_https_errors=args.ignore_https_errors,
        cookie_policy=args.cookie_policy,
        upload=args.upload,
        upload_token=args.upload_token
        or _token_file(args.upload_token_file)
        or os.environ.get(TOKEN_ENV),
        screenshots=not args.no_screenshots,
        autoconsent=not args.no_autoconsent,
        autoconsent_dir=args.autoconsent,
        cluster=args.cluster,
    )
    if config.autoconsent:
        locate_autoconsent(config.autoconsent_dir)  # a folder named but empty: exit 2 now
    if args.config:
        apply_file(config, Path(args.config))
    if args.waivers:
        path = Path(args.waivers)
        config.waivers.extend(parse_waivers(read_yaml(path), str(path)))
    if config.baseline is not None and not config.baseline.is_file():
        raise ConfigError(f"--baseline {config.baseline}: no such file")
    for cert in config.ca_certs:
        if not cert.is_file():
            raise ConfigError(f"--ca-cert {cert}: no such file")
    if config.upload and not config.upload_token:
        raise ConfigError(f"--upload needs ${TOKEN_ENV}, --upload-token-file or --upload-token")
    return config


def parse_shard(value: str | None) -> tuple[int, int] | None:
    if value is None:
        return None
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", value)
    if not match or not 1 <= int(match[1]) <= int(match[2]):
        raise ConfigError(f"--shard {value}: use I/N with 1 <= I <= N, e.g. --shard 2/4")
    return int(match[1]), int(match[2])


def _token_file(path: str | None) -> str | None:
    if not path:
        return None
    try:
        token = Path(path).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"--upload-token-file {path}: cannot be read ({exc.__class__.__name__})"
        ) from None
    if not token:
        raise ConfigError(f"--upload-token-file {path}: the file is empty")
    return token


def load_catalogue(path: Path):
    from kelisim.domain import catalogue as catalogue_module

    if not path.is_file():
        raise ConfigError(f"catalogue {path}: no such file (use --catalogue)")
    try:
        return catalogue_module.load(path)
    except catalogue_module.CatalogueError as exc:
        raise ConfigError(f"catalogue {path} is invalid:\n{exc}") from exc


def check_names(config: ScanConfig, catalogue) -> None:
    ids = [v.id for v in catalogue.vendors]
    valid = valid_state_names(ids)
    for state in config.states or []:
        if state not in valid:
            raise ConfigError(f"--states: unknown state '{state}'; use one of none, reject, "
                              "accept, withdraw, fresh, vendor:*, vendor:<id>")  # fmt: skip
    for vendor in [*(config.vendors or []), *config.selectors.vendors]:
        if vendor not in ids:
            raise ConfigError(f"unknown vendor id '{vendor}' (catalogue has: {', '.join(ids)})")


T = TypeVar("T")


def run_coroutine(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run the async scan to completion, also from a thread that already runs an event loop.

    A caller such as a test suite holding Playwright's sync API has a loop running in its thread,
    where asyncio.run() refuses to start; the scan then gets a thread and a loop of its own.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["merge"]:  # no start URL is called "merge": it is not an http(s) URL
        return _run_click(merge_command, argv[1:], "kelisim scan merge")
    return _run_click(scan_command, argv, "kelisim scan")


def _scan(args: SimpleNamespace) -> int:
    from kelisim.scanner.analyse import analyse, write_reports
    from kelisim.scanner.progress import Progress
    from kelisim.scanner.run import Scanner

    try:
        config = make_config(args)
        catalogue = load_catalogue(config.catalogue)
        check_names(config, catalogue)
        config.out.mkdir(parents=True, exist_ok=True)
    except (ConfigError, OSError) as exc:
        sys.stderr.write(f"kelisim scan: error: {exc}\n")
        return EXIT_USAGE
    progress = Progress(quiet=args.quiet)
    if config.autoconsent:
        _, missing = locate_autoconsent(config.autoconsent_dir)
        if missing:
            sys.stderr.write(
                f"kelisim scan: warning: {missing}; on sites without window.kelisim only the "
                "scan.yaml consent selectors are clicked\n"
            )
    vendor_ids = [v.id for v in catalogue.vendors]
    try:
        run = run_coroutine(Scanner(config, vendor_ids, progress, catalogue).scan())
        live = live_revisions(run.visits)
        if live and live != [catalogue.revision]:
            mismatch = {"scanned_with": catalogue.revision, "live": live}
            run.environment["catalogue_revision"] = mismatch
        outcome = analyse(run, config, catalogue)
    except ConfigError as exc:
        sys.stderr.write(f"kelisim scan: error: {exc}\n")
        return EXIT_USAGE
    progress.finish()
    write_reports(outcome, run, config.out)
    if "catalogue_revision" in run.environment:
        shown = ", ".join(str(number) for number in live)
        sys.stderr.write(
            f"kelisim scan: warning: the site's Kelisim serves catalogue revision {shown}, this "
            f"scan judged it against revision {catalogue.revision} ({config.catalogue}); export "
            "the live one with `kelisim export catalogue` and pass it with --catalogue\n"
        )
    for waiver in outcome.unused_waivers:
        sys.stderr.write(f"kelisim scan: warning: waiver {waiver} matches no finding\n")
    for url, error in run.unreachable.items():
        sys.stderr.write(f"kelisim scan: unreachable: {url}: {error}\n")
    _summary(outcome, config)
    if config.upload:
        try:
            answer = upload(config.upload, config.upload_token, outcome.report)
            sys.stderr.write(f"kelisim scan: uploaded to {config.upload}: {answer[:200]}\n")
        except UploadError as exc:
            sys.stderr.write(f"kelisim scan: error: {exc}\n")
            return outcome.exit_code if outcome.exit_code != 0 else EXIT_USAGE
    return outcome.exit_code


def live_revisions(visits: Iterable[Any]) -> list[int]:
    """The catalogue revisions the site's own Kelisim reported (kelisim.get().revision)."""
    found = set()
    for visit in visits:
        state = (getattr(visit, "consent_signal", None) or {}).get("kelisim")
        revision = state.get("revision") if isinstance(state, dict) else None
        if isinstance(revision, int) and not isinstance(revision, bool):
            found.add(revision)
    return sorted(found)


@click.command(
    "merge",
    help="Join the report.json files of a sharded scan (--shard i/n) into one report.",
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.argument("reports", nargs=-1, required=True, metavar="REPORT...")
@_OUT
@_catalogue_option("the vendors.yaml the shards were scanned against")
@click.option("--config", help="the scan configuration YAML the shards used")
@_WAIVERS
@_BASELINE
@_FAIL_ON
@click.option("--quiet", is_flag=True, help="no summary on stderr")
def merge_command(**options: Any) -> int:
    return _merge(SimpleNamespace(**options))


def merge_main(argv: Sequence[str]) -> int:
    """`kelisim scan merge`: same exit codes as a scan (2 for reports that are not one scan)."""
    return _run_click(merge_command, argv, "kelisim scan merge")


def _merge(args: SimpleNamespace) -> int:
    from kelisim.scanner import merge
    from kelisim.scanner.analyse import analyse, write_reports

    try:
        reports = [(Path(p), merge.read_report(Path(p))) for p in args.reports]
        count = merge.check_shards(reports)
        first = reports[0][1]
        config = ScanConfig(
            urls=list(first["target"]["urls"]),
            out=Path(args.out),
            catalogue=Path(args.catalogue),
            fail_on=args.fail_on,
            baseline=Path(args.baseline) if args.baseline else None,
            policy_url=first["target"].get("policy_url"),
            cookie_policy=first["environment"].get("cookie_policy", "allow-third-party"),
        )
        if args.config:
            apply_file(config, Path(args.config))
        if args.waivers:
            config.waivers.extend(parse_waivers(read_yaml(Path(args.waivers)), args.waivers))
        if config.baseline is not None and not config.baseline.is_file():
            raise ConfigError(f"--baseline {config.baseline}: no such file")
        catalogue = load_catalogue(config.catalogue)
        if catalogue.content_hash != first["catalogue"].get("hash"):
            raise ConfigError(
                f"--catalogue {config.catalogue} is not the catalogue the shards were scanned "
                "against (its hash differs)"
            )
        run = merge.to_run(reports, count)
        outcome = analyse(run, config, catalogue)
        write_reports(outcome, run, config.out)
    except (ConfigError, OSError, KeyError, TypeError, ValueError) as exc:
        what = str(exc) if isinstance(exc, ConfigError) else f"{type(exc).__name__}: {exc}"
        sys.stderr.write(f"kelisim scan merge: error: {what}\n")
        return EXIT_USAGE
    if not args.quiet:
        _summary(outcome, config)
    return outcome.exit_code


def _summary(outcome, config: ScanConfig) -> None:
    s = outcome.report["summary"]
    failing = ", ".join(f"{n} {sev}" for sev, n in sorted(s["failing"].items())) or "none"
    sys.stderr.write(
        f"kelisim scan: {s['visits']} visits, {s['findings']} findings (failing: {failing}); "
        f"reports in {config.out}\n"
    )
    shown = 0
    for f in outcome.findings:
        if f.waived or not f.new or shown >= 25:
            continue
        shown += 1
        sys.stderr.write(
            f"  {f.rule} {f.severity:<7} {f.state:<22} {f.vendor or '-':<20} {f.message}\n"
        )


if __name__ == "__main__":
    raise SystemExit(main())
