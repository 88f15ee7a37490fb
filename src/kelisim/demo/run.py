"""Start the whole demo in one process: the Kelisim server, the demo site and the fake vendor hosts.

`start_demo()` is what tests and the scanner's tests use (free ports, a temporary state directory);
`main()` is `kelisim demo`, which uses fixed ports and prints how to open the site in a desktop
Chromium that maps the real tracker hostnames to the fake hosts and trusts the demo's CA.

The site (http://127.0.0.1:<site>) and the CMP (http://127.0.0.1:<cmp>) are different origins on
purpose: cmp.js is always loaded cross-origin on the real site, and the demo must exercise that.
"""

from __future__ import annotations

import errno
import logging
import shlex
import signal
import socket
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from kelisim.commands import run_click
from kelisim.demo.ca import CertificateFiles, ensure_certificates
from kelisim.demo.fake_hosts import HOSTNAMES, FakeVendors
from kelisim.demo.recorder import RecordedRequest, RequestLog, WSGIApp
from kelisim.demo.servers import ServerThread, serve_http, serve_https
from kelisim.demo.site import create_site
from kelisim.settings import DEFAULT_CATALOGUE

log = logging.getLogger("kelisim.demo")

DEFAULT_STATE_DIR = Path("var/demo")
DEFAULT_PORTS = {"cmp": 8000, "site": 8080, "vendors": 8443}
# Anything not mapped to a fake host resolves nowhere: the demo browser cannot reach the internet.
HERMETIC_RULES = "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"

# (state_dir, catalogue_path) -> the CMP's WSGI app; tests can swap in another.
CmpFactory = Callable[[Path, Path], WSGIApp]


@dataclass
class DemoHandle:
    """A running demo. Stop it with `.stop()` (or use it as a context manager)."""

    cmp_url: str
    site_url: str
    vendor_port: int
    host_map: dict[str, str]  # real vendor hostname -> "127.0.0.1:<vendor_port>"
    chromium_args: list[
        str
    ]  # resolver rules + CA trust, for kelisim.scanner.browser.launch(extra_args=)
    ca_cert_path: Path
    certificates: CertificateFiles
    state_dir: Path
    log: RequestLog
    _servers: list[ServerThread] = field(default_factory=list, repr=False)
    _cmp_app: Any = field(default=None, repr=False)
    replaced_ports: dict[int, int] = field(default_factory=dict)  # wanted port -> the free one used

    @property
    def unsafe_url(self) -> str:
        return f"{self.site_url}/unsafe"

    def requests(self, host: str | None = None) -> list[RecordedRequest]:
        """Every request a fake vendor (or the self-hosted Matomo) received, oldest first."""
        return self.log.items(host)

    def clear_requests(self) -> None:
        self.log.clear()

    def stop(self) -> None:
        for server in reversed(self._servers):
            server.stop()
        self._servers.clear()
        extension = getattr(self._cmp_app, "extensions", {}).get("kelisim")
        close = getattr(extension, "close", None)
        if callable(close):
            close()

    def __enter__(self) -> DemoHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def spki_flag(certificates: CertificateFiles) -> str:
    return "--ignore-certificate-errors-spki-list=" + ",".join(certificates.spki_hashes)


def chromium_args(host_map: dict[str, str], certificates: CertificateFiles) -> list[str]:
    """The flags that point Chromium's vendor hostnames at the fake hosts and trust their CA."""
    from kelisim.scanner.browser import resolver_rules

    rules = f"{resolver_rules(host_map)}, {HERMETIC_RULES}"
    return [f"--host-resolver-rules={rules}", spki_flag(certificates)]


def _settings_for(state_dir: Path, catalogue_path: Path) -> Any:
    """The CMP's settings with everything it keeps (database, keys) under the demo's state dir."""
    from kelisim.settings import Settings, demo_environment

    env = demo_environment(state_dir)
    env["KELISIM_CATALOGUE"] = str(catalogue_path)  # the site's policy and the banner agree
    return Settings.from_env(env)


def kelisim_cmp(state_dir: Path, catalogue_path: Path) -> WSGIApp:
    """The real Kelisim server through its app factory (which migrates the fresh demo database)."""
    from kelisim.web.app import create_app

    return create_app(_settings_for(state_dir, catalogue_path))


def default_cmp(state_dir: Path, catalogue_path: Path) -> WSGIApp:
    return kelisim_cmp(state_dir, catalogue_path)


def start_demo(
    *,
    host: str = "127.0.0.1",
    cmp_port: int = 0,
    site_port: int = 0,
    vendor_port: int = 0,
    state_dir: Path = DEFAULT_STATE_DIR,
    catalogue_path: Path | None = None,
    cmp_factory: CmpFactory | None = None,
    free_port_fallback: bool = False,
) -> DemoHandle:
    """Start the CMP, the site and the fake vendor hosts in threads; port 0 picks a free port.

    With `free_port_fallback`, a port that is already taken is replaced by a free one, so a newcomer
    whose machine already runs something on 8000 still gets a demo (the printed URLs say where).
    """
    ports = _PortChooser(free_port_fallback)
    state_dir = Path(state_dir)
    state_dir.mkdir(parents=True, exist_ok=True)
    certificates = ensure_certificates(state_dir / "ca", HOSTNAMES)
    catalogue = Path(catalogue_path or DEFAULT_CATALOGUE).resolve()
    request_log = RequestLog()
    servers: list[ServerThread] = []
    try:
        cmp_app = (cmp_factory or default_cmp)(state_dir, catalogue)
        cmp_server = ports.bind(serve_http, cmp_app, host, cmp_port, "kelisim-demo-cmp")
        servers.append(cmp_server)
        cmp_url = f"http://{host}:{cmp_server.port}"
        site = create_site(
            cmp_url=cmp_url,
            catalogue_path=catalogue,
            log=request_log,
        )
        site_server = ports.bind(serve_http, site, host, site_port, "kelisim-demo-site")
        servers.append(site_server)
        tls = certificates.server_context()
        vendors = ports.bind(
            lambda app, h, port, name: serve_https(app, h, port, tls, name),
            FakeVendors(request_log),
            host,
            vendor_port,
            "kelisim-demo-vendors",
        )
        servers.append(vendors)
    except BaseException:
        for server in reversed(servers):
            server.stop()
        raise
    host_map = {name: f"{host}:{vendors.port}" for name in HOSTNAMES}
    return DemoHandle(
        cmp_url=cmp_url,
        site_url=f"http://{host}:{site_server.port}",
        vendor_port=vendors.port,
        host_map=host_map,
        chromium_args=chromium_args(host_map, certificates),
        ca_cert_path=certificates.ca_cert,
        certificates=certificates,
        state_dir=state_dir,
        log=request_log,
        _servers=servers,
        _cmp_app=cmp_app,
        replaced_ports=ports.replaced,
    )


class _PortChooser:
    """Binds each server, falling back to a free port when asked and the wanted one is taken."""

    def __init__(self, fallback: bool) -> None:
        self._fallback = fallback
        self.replaced: dict[int, int] = {}

    def bind(
        self,
        serve: Callable[[WSGIApp, str, int, str], ServerThread],
        app: WSGIApp,
        host: str,
        port: int,
        name: str,
    ) -> ServerThread:
        if port and not _port_is_free(host, port):
            if not self._fallback:
                raise OSError(errno.EADDRINUSE, f"port {port} on {host} is already in use")
            server = serve(app, host, 0, name)
            self.replaced[port] = server.port
            return server
        return serve(app, host, port, name)


def _port_is_free(host: str, port: int) -> bool:
    """Asked before Werkzeug binds, because its server exits the process on a taken port."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return False
            raise
    return True


def desktop_command(handle: DemoHandle, url: str) -> str:
    """A ready-to-paste command opening the demo in an ordinary desktop Chromium."""
    profile = (handle.state_dir / "chromium-profile").resolve()
    args = ["chromium", f"--user-data-dir={profile}", "--no-first-run", *handle.chromium_args, url]
    return " ".join(shlex.quote(arg) for arg in args)


def demo_admin_command(state_dir: Path) -> str:
    """The command that makes an admin account in this demo's own database (not the server's)."""
    where = "" if Path(state_dir) == DEFAULT_STATE_DIR else f" --state-dir {state_dir}"
    return f"kelisim users --demo{where} add admin --role admin"


@click.command(
    "demo",
    help="Run the demo lender site, the Kelisim server and fake vendor hosts locally.",
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="loopback address to listen on"
)
@click.option("--cmp-port", type=int, default=DEFAULT_PORTS["cmp"], show_default=True)
@click.option(
    "--site-port", "--port", "site_port", type=int, default=DEFAULT_PORTS["site"], show_default=True
)
@click.option("--vendor-port", type=int, default=DEFAULT_PORTS["vendors"], show_default=True)
@click.option(
    "--state-dir",
    type=click.Path(path_type=Path),
    default=DEFAULT_STATE_DIR,
    show_default=True,
    help="where the CA, the demo database and the browser profile live",
)
@click.option(
    "--catalogue", type=click.Path(path_type=Path), default=None, help="vendors.yaml to show"
)
def demo_command(
    host: str,
    cmp_port: int,
    site_port: int,
    vendor_port: int,
    state_dir: Path,
    catalogue: Path | None,
) -> int:
    """`kelisim demo`: start everything, print where to look, run until Ctrl-C."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        handle = start_demo(
            host=host,
            cmp_port=cmp_port,
            site_port=site_port,
            vendor_port=vendor_port,
            state_dir=state_dir,
            catalogue_path=catalogue,
            free_port_fallback=True,
        )
    except OSError as error:
        print(
            f"kelisim demo: cannot listen: {error} (choose other ports with --site-port, "
            "--cmp-port, --vendor-port)",
            file=sys.stderr,
        )
        return 2
    site = f"{handle.site_url}/ru/"
    for wanted, chosen in sorted(handle.replaced_ports.items()):
        print(f"kelisim demo: port {wanted} is in use; using {chosen} instead", flush=True)
    admin_command = demo_admin_command(state_dir)
    print(
        f"""Kelisim demo is running.

  Demo site (CreditPlus):  {site}
  Unsafe twin:             {handle.unsafe_url}/ru/
  Kelisim server (CMP):    {handle.cmp_url}
  Fake vendor hosts:       https://<vendor host> -> {host}:{handle.vendor_port}
  Recorded vendor hits:    https://{host}:{handle.vendor_port}/__kelisim/requests
  Demo CA certificate:     {handle.ca_cert_path}
  Admin UI:                {handle.cmp_url}/admin/
  First admin account:     {admin_command}

Trackers load only when their real hostnames reach the fake hosts. Open the site in a separate
Chromium profile that maps those names to this machine and trusts the demo CA (no system change):

  {desktop_command(handle, site)}

Press Ctrl-C to stop.""",
        flush=True,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        handle.stop()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run `kelisim demo` on `argv`: a usage error is click's message and exit code 2."""
    return run_click(demo_command, sys.argv[1:] if argv is None else argv, "kelisim demo")


if __name__ == "__main__":
    raise SystemExit(main())
