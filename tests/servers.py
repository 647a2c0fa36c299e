"""The app served by real gunicorn processes on the test database, and a cookie-keeping HTTP client for them."""
from __future__ import annotations

import http.cookiejar
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import PASSWORD, csrf_token

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    base: str  # http://127.0.0.1:PORT
    pid: int  # gunicorn's master process
    log: Path

    def workers(self) -> list[int]:
        """The worker processes' ids."""
        return [int(pid) for pid in Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text().split()]


def memory_mb(pid: int, field: str = "VmHWM") -> float:
    """A process's peak (VmHWM) or current (VmRSS) resident memory, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise KeyError(field)


@contextmanager
def gunicorn(database_url: str, log_dir: Path, workers: int = 1, threads: int = 1, **env):
    """One gunicorn master with `workers` worker processes (each with `threads` threads), serving the app on the
    given database; yields the Server."""
    port = free_port()
    environment = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "s" * 40, "APP_ENV": "development",
                   "PYTHONPATH": str(ROOT), **env}
    log_path = log_dir / f"server-{port}.log"
    command = [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
               "--chdir", str(ROOT)]
    if threads > 1:
        command += ["--worker-class", "gthread", "--threads", str(threads)]
    with open(log_path, "w") as log:
        process = subprocess.Popen([*command, "app:create_app()"], env=environment, stdout=log, stderr=log)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(150):
                try:
                    if urllib.request.urlopen(base + "/healthz", timeout=2).status == 200:
                        break
                except OSError:
                    time.sleep(0.2)
            else:
                raise RuntimeError(f"server {base} did not start: {log_path.read_text()[-2000:]}")
            yield Server(base, process.pid, log_path)
        finally:
            process.terminate()
            process.wait(timeout=20)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Client:
    """A cookie-keeping HTTP client, like a browser without the browser."""

    def __init__(self, base: str, jar=None):
        self.base = base
        self.jar = jar if jar is not None else http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect())

    def request(self, path: str, data: dict | None = None, files: dict[str, tuple[str, bytes]] | None = None,
                headers: dict | None = None) -> tuple[int, str, dict]:
        """GET, or POST `data` (form fields) and `files` ({field: (file name, content)}) as a browser would."""
        body, headers = None, dict(headers or {})
        if files:
            body, headers["Content-Type"] = multipart(data or {}, files)
        elif data is not None:
            body = urllib.parse.urlencode(data, doseq=True).encode()
        try:
            with self.opener.open(urllib.request.Request(self.base + path, data=body, headers=headers), timeout=60) as response:
                return response.status, response.read().decode(), dict(response.headers)
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(), dict(error.headers)

    def login(self, username: str, password: str = PASSWORD) -> int:
        page = self.request("/login")[1]
        return self.request("/login", {"username": username, "password": password, "csrf_token": csrf_token(page)})[0]


def multipart(fields: dict, files: dict[str, tuple[str, bytes]]) -> tuple[bytes, str]:
    """A multipart/form-data body and its content type."""
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, (filename, content) in files.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                     f"Content-Type: application/octet-stream\r\n\r\n".encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"
