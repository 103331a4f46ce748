"""Test helper: run `walkme-emulator serve --port 0` as a subprocess and drive its inspection API.

```python
from walkme_emulator.testing import WalkMeEmulator

with WalkMeEmulator() as walkme:
    urls = walkme.publish("onboarding", Path("onboarding.csv"))
    urls.url          # bearer-authenticated download URL
    urls.signed_url   # signed link, valid 1 hour
    walkme.faults(fail_next=[429, 503], retry_after=0)
    walkme.stats()["downloads"]
```

The server is a real process speaking real HTTP on 127.0.0.1, so clients under test are exercised
exactly as in production; it is killed when the context exits. Its stderr (the access log, which
never contains secrets) goes to `log_path` for debugging. Only the standard library is used.
"""

from __future__ import annotations

import base64
import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from . import defaults

START_TIMEOUT = 20.0
REQUEST_TIMEOUT = 30.0
LISTENING_PREFIX = "walkme-emulator listening on "


class EmulatorError(RuntimeError):
    """The emulator did not start, or an inspection call failed; the message says which."""


@dataclass(frozen=True)
class PublishedReport:
    """Where a published report can be downloaded."""

    name: str
    uuid: str
    url: str  # needs `Authorization: Bearer <token>`
    signed_url: str  # plain GET until it expires
    path: str
    etag: str
    size: int


class WalkMeEmulator:
    """Context manager running one emulator process (see module docstring)."""

    def __init__(
        self,
        reports_dir: Path | str | None = None,
        client_id: str = defaults.DEMO_CLIENT_ID,
        client_secret: str = defaults.DEMO_CLIENT_SECRET,
        *,
        token_ttl: int | None = None,
        signing_key: str | None = None,
        extra_args: list[str] | None = None,
        start_timeout: float = START_TIMEOUT,
    ) -> None:
        self.reports_dir = Path(reports_dir) if reports_dir is not None else None
        self.client_id = client_id
        self.client_secret = client_secret
        self.token_ttl = token_ttl
        self.signing_key = signing_key
        self.extra_args = list(extra_args or [])
        self.start_timeout = start_timeout
        self.url = ""
        self.process: subprocess.Popen[str] | None = None
        self._log_dir: str | None = None
        self._log: IO[str] | None = None

    # -- lifecycle ----------------------------------------------------------------------------

    @property
    def log_path(self) -> Path | None:
        """File holding the emulator's stderr (access log)."""
        return Path(self._log_dir) / "walkme-emulator.log" if self._log_dir else None

    @property
    def token_url(self) -> str:
        """`POST` here with HTTP Basic client credentials."""
        return f"{self.url}/accounts/connect/token"

    def start(self) -> WalkMeEmulator:
        """Start the subprocess and wait for its listening line."""
        command = [*_console_script(), "serve", "--port", "0"]
        if self.reports_dir is not None:
            command += ["--reports-dir", str(self.reports_dir)]
        if self.token_ttl is not None:
            command += ["--token-ttl", str(self.token_ttl)]
        command += self.extra_args
        env = dict(os.environ)
        # Secrets travel in the environment, not argv (argv is visible in `ps`).
        env[defaults.ENV_CLIENT_ID] = self.client_id
        env[defaults.ENV_CLIENT_SECRET] = self.client_secret
        if self.signing_key is not None:
            env[defaults.ENV_SIGNING_KEY] = self.signing_key
        self._log_dir = tempfile.mkdtemp(prefix="walkme-emulator-log-")
        self._log = open(self.log_path, "w", encoding="utf-8")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=self._log,
            stdin=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        line = _read_line(self.process, self.start_timeout)
        if line is None or not line.startswith(LISTENING_PREFIX):
            self.stop()
            raise EmulatorError(
                f"walkme-emulator did not print its listening line within {self.start_timeout}s "
                f"(got {line!r}); see its log for the reason"
            )
        self.url = line[len(LISTENING_PREFIX) :].strip()
        return self

    def stop(self) -> None:
        """Terminate the subprocess (kill after 5 s) and remove the log folder."""
        if self.process is not None:
            if self.process.poll() is None:
                self.process.terminate()
                try:
                    self.process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait(timeout=5)
            if self.process.stdout:
                self.process.stdout.close()
        if self._log:
            self._log.close()
            self._log = None
        if self._log_dir:
            shutil.rmtree(self._log_dir, ignore_errors=True)
            self._log_dir = None

    def __enter__(self) -> WalkMeEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- inspection helpers -------------------------------------------------------------------

    def publish(
        self, name: str, path_or_bytes: Path | str | bytes, *, ttl: int = 3600
    ) -> PublishedReport:
        """Serve a report: a path is served in place (no copy); bytes are uploaded as a file."""
        if isinstance(path_or_bytes, bytes):
            data = self._call("PUT", f"/__emulator/reports/{name}?ttl={ttl}", raw=path_or_bytes)
        else:
            path = str(Path(path_or_bytes).resolve())
            data = self._call(
                "POST", "/__emulator/reports", {"name": name, "path": path, "ttl": ttl}
            )
        return PublishedReport(
            name=data["name"],
            uuid=data["uuid"],
            url=data["url"],
            signed_url=data["signed_url"],
            path=data["path"],
            etag=data["etag"],
            size=data["size"],
        )

    def reports(self) -> list[dict[str, Any]]:
        """Every served report."""
        return self._call("GET", "/__emulator/reports")

    def report_url(self, name: str) -> str:
        """The bearer-authenticated download URL of a report."""
        return f"{self.url}/insights/reports/{name}.csv"

    def signed_url(self, name: str, ttl: int = 3600) -> str:
        """A signed link to report `name`, valid `ttl` seconds on the emulator's clock."""
        return self._call("POST", "/__emulator/sign", {"name": name, "ttl": ttl})["url"]

    def faults(self, **settings: Any) -> dict[str, Any]:
        """Replace the fault plan (see `walkme_emulator.faults`); no arguments clears it."""
        return self._call("POST", "/__emulator/faults", settings)

    def stats(self) -> dict[str, Any]:
        """Request counters."""
        return self._call("GET", "/__emulator/stats")

    def reset(self) -> None:
        """Forget tokens, faults, extra keys, stats and clock offset (reports stay)."""
        self._call("POST", "/__emulator/reset", {})

    def add_client(self, client_id: str, client_secret: str, *, reports: bool = True) -> None:
        """Register another API key; `reports=False` makes downloads answer 403."""
        self._call(
            "POST",
            "/__emulator/clients",
            {"client_id": client_id, "client_secret": client_secret, "reports": reports},
        )

    def advance_clock(self, seconds: float) -> float:
        """Move the emulator's clock (token and signed-link expiry) forward."""
        return self._call("POST", "/__emulator/clock", {"advance": seconds})["now"]

    def expire_tokens(self) -> int:
        """Make every issued token expired."""
        return self._call("POST", "/__emulator/tokens/expire", {})["expired"]

    def token(self) -> str:
        """Get a bearer token with the configured client credentials (real token request)."""
        basic = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        request = urllib.request.Request(  # noqa: S310 - http://127.0.0.1 only
            self.token_url,
            data=b"grant_type=client_credentials",
            method="POST",
            headers={
                "Authorization": f"Basic {basic}",
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT) as response:  # noqa: S310
            return json.loads(response.read())["access_token"]

    def _call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        raw: bytes | None = None,
    ) -> Any:
        if not self.url:
            raise EmulatorError("the emulator is not running; use it as a context manager")
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        headers = {"Content-Type": "application/json"} if raw is None else {}
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT) as response:  # noqa: S310
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace")
            raise EmulatorError(f"{method} {path} failed with {exc.code}: {detail}") from None


def _console_script() -> list[str]:
    """The `walkme-emulator` script next to this interpreter, else `python -m` on the same code."""
    script = shutil.which("walkme-emulator", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "walkme_emulator.cli"]


def _read_line(process: subprocess.Popen[str], timeout: float) -> str | None:
    """Read one stdout line with a timeout (a thread, since pipes cannot time out portably)."""
    lines: queue.Queue[str | None] = queue.Queue()

    def reader() -> None:
        assert process.stdout is not None
        lines.put(process.stdout.readline() or None)

    threading.Thread(target=reader, daemon=True).start()
    try:
        return lines.get(timeout=timeout)
    except queue.Empty:
        return None
