"""What the two-host test needs: Debian's nginx in front of two `kelisim serve --production`
instances, and a staff client that carries the admin's Secure cookies by hand over loopback."""

from __future__ import annotations

import http.client
import os
import re
import shutil
import signal
import subprocess
import time
import urllib.parse
import uuid
from pathlib import Path

from tests.support.crash import free_port, wait_for_port

PROJECT_ROOT = Path(__file__).resolve().parents[2]
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def nginx_binary() -> str | None:
    """Debian's nginx, installed by scripts/install-nginx when it is missing (root only)."""
    found = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if found is None:
        subprocess.run([str(PROJECT_ROOT / "scripts" / "install-nginx")], check=False, timeout=600)
        found = shutil.which("nginx") or (
            "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
        )
    return found


NGINX_CONF = """\
{user}
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 512; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    upstream kelisim {{
        server 127.0.0.1:{a};
        server 127.0.0.1:{b};
    }}
    server {{
        listen 127.0.0.1:{port};
        # As in docs/operations.md: whole requests are buffered here before they go upstream,
        # and slow clients are cut off by nginx, not by a Kelisim worker.
        client_max_body_size 21m;
        client_header_timeout 10s;
        client_body_timeout 10s;
        proxy_request_buffering on;
        location / {{
            proxy_pass http://kelisim;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $remote_addr;
            # TLS ends at this proxy in production; the test speaks plain HTTP on loopback.
            proxy_set_header X-Forwarded-Proto https;
            proxy_set_header X-Forwarded-Host $http_host;
        }}
    }}
}}
"""


class Nginx:
    def __init__(self, binary: str, directory: Path, upstreams: tuple[int, int]) -> None:
        self.binary = binary
        self.dir = directory
        self.port = free_port()
        self.dir.mkdir(parents=True, exist_ok=True)
        user = "user root;" if os.geteuid() == 0 else ""
        (self.dir / "nginx.conf").write_text(
            NGINX_CONF.format(
                user=user, dir=self.dir, a=upstreams[0], b=upstreams[1], port=self.port
            )
        )
        self.process: subprocess.Popen | None = None

    def start(self) -> Nginx:
        self.process = subprocess.Popen(
            [self.binary, "-p", str(self.dir), "-c", str(self.dir / "nginx.conf"), "-g",
             "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=open(self.dir / "stderr.log", "wb"),  # noqa: SIM115 - lives as long as nginx
        )  # fmt: skip
        wait_for_port(self.port, 30, self.process)
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


class Staff:
    """A browser-like client for the admin: cookies kept by hand (they are Secure), CSRF tokens
    read from forms, and the headers a browser on https://<host> would send."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.host = f"127.0.0.1:{port}"

    def at(self, port: int) -> Staff:
        """The same browser session, sent to another port (another host)."""
        other = Staff(port)
        other.cookies = self.cookies
        other.host = self.host
        return other

    def request(
        self, method: str, path: str, body: bytes | None = None, content_type: str | None = None
    ) -> tuple[int, dict[str, str], str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {
            "Host": self.host,
            "X-Forwarded-For": "127.0.0.1",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": self.host,
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = content_type or "application/x-www-form-urlencoded"
            headers["Origin"] = f"https://{self.host}"
            headers["Referer"] = f"https://{self.host}{path}"
        try:
            conn.request(method, path, body, headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
            for name, value in response.getheaders():
                if name.lower() == "set-cookie":
                    pair = value.split(";", 1)[0]
                    key, _, cookie = pair.partition("=")
                    if cookie:
                        self.cookies[key] = cookie
                    else:
                        self.cookies.pop(key, None)
            return response.status, {k.lower(): v for k, v in response.getheaders()}, text
        finally:
            conn.close()

    def csrf(self, path: str) -> tuple[str, str]:
        status, _, page = self.request("GET", path)
        assert status == 200, (path, status)
        match = _CSRF.search(page)
        assert match, f"no CSRF token on {path}"
        return match.group(1), page

    def post_form(self, path: str, fields: dict[str, str], token_from: str | None = None):
        token, _ = self.csrf(token_from or path)
        body = urllib.parse.urlencode({"csrf_token": token, **fields}).encode()
        return self.request("POST", path, body)

    def post_file(self, path: str, token_from: str, field: str, name: str, data: bytes):
        token, _ = self.csrf(token_from)
        boundary = uuid.uuid4().hex
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n',
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{name}"'
            "\r\nContent-Type: application/yaml\r\n\r\n",
        ]
        body = "".join(parts).encode() + data + f"\r\n--{boundary}--\r\n".encode()
        return self.request("POST", path, body, f"multipart/form-data; boundary={boundary}")

    def login(self, username: str, password: str) -> int:
        status, _, _ = self.post_form("/admin/login", {"username": username, "password": password})
        return status


def wait_for_http(port: int, path: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", path)
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"nothing answered {path} on {port}")
