"""Start the emulator for tests: ``with SalesforceEmulator() as sf: …``.

The emulator runs as a real subprocess (the ``salesforce-emulator`` console script) on a free
port; tests talk to it over HTTP(S) only. Helpers wrap the ``/__emulator/`` inspection API and
the OAuth password / client-credentials flows with the built-in ``default`` seed's
emulator-only demo credentials.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Sequence
from pathlib import Path
from queue import Empty, Queue
from typing import Any, ClassVar
from urllib.parse import urlencode

# Emulator-only demo values of the built-in ``default`` seed (see emulators/README.md).
ADMIN_USERNAME = "admin@walkme-demo.example"
ADMIN_PASSWORD = "emulator-admin-password"  # noqa: S105 - emulator-only demo value
ADMIN_SECURITY_TOKEN = "EMULATORTOKEN"  # noqa: S105 - emulator-only demo value
INTEGRATION_USERNAME = "integration@walkme-demo.example"
INTEGRATION_PASSWORD = "emulator-integration-password"  # noqa: S105 - emulator-only demo value
CLIENT_ID = "emulator-demo-client-id"
CLIENT_SECRET = "emulator-demo-client-secret"  # noqa: S105 - emulator-only demo value
REDIRECT_URI = "http://localhost:1717/OauthRedirect"
API_VERSION = "67.0"


class EmulatorError(RuntimeError):
    """The emulator did not start or an inspection call failed."""


def _command() -> list[str]:
    script = Path(sys.executable).with_name("salesforce-emulator")
    if script.exists():
        return [str(script)]
    found = shutil.which("salesforce-emulator")
    if found:
        return [found]
    return [sys.executable, "-m", "salesforce_emulator"]


def jwt_key_pair(common_name: str = "salesforce-emulator test") -> tuple[str, str]:
    """A fresh RSA private key and a self-signed certificate for it, both PEM text.

    For JWT bearer tests: seed the certificate into a connected app (``"certificate"``) and sign
    assertions with the key. Made at run time, so no key is ever committed.
    """
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return key_pem, certificate.public_bytes(serialization.Encoding.PEM).decode()


class SalesforceEmulator:
    """Context manager running ``salesforce-emulator serve --port 0`` as a subprocess."""

    _running: ClassVar[list[SalesforceEmulator]] = []

    @classmethod
    def running(cls) -> list[SalesforceEmulator]:
        """Emulators started in this process and not yet stopped (for suite-wide checks)."""
        return list(cls._running)

    def __init__(
        self,
        seeds: Sequence[str | dict[str, Any]] = ("default",),
        tls: bool = False,
        latency_ms: int = 0,
        api_limit: int | None = None,
        token_ttl: float | None = None,
        extra_args: Iterable[str] = (),
        db: str | os.PathLike[str] | None = None,
        start_timeout: float = 30.0,
        bulk_queue_ms: int = 0,
        bulk_records_per_second: float = 0.0,
    ) -> None:
        self.seeds = list(seeds)
        self.tls = tls
        self.latency_ms = latency_ms
        self.api_limit = api_limit
        self.token_ttl = token_ttl
        self.extra_args = list(extra_args)
        self.db = db
        self.start_timeout = start_timeout
        self.bulk_queue_ms = bulk_queue_ms
        self.bulk_records_per_second = bulk_records_per_second
        self.url = ""
        self.ca_bundle: str | None = None
        self.process: subprocess.Popen[str] | None = None
        self._tmp: list[Path] = []
        self._stderr: list[str] = []

    # -- lifecycle -------------------------------------------------------------------------
    def __enter__(self) -> SalesforceEmulator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        args = [*_command(), "serve", "--port", "0", "--no-default-seed"]
        for seed in self.seeds:
            if isinstance(seed, dict):
                import tempfile

                handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - removed in stop()
                    "w", suffix=".json", delete=False, encoding="utf-8"
                )
                json.dump(seed, handle)
                handle.close()
                self._tmp.append(Path(handle.name))
                args += ["--seed", handle.name]
            else:
                args += ["--seed", str(seed)]
        args += ["--db", str(self.db)] if self.db else ["--memory"]
        if self.tls:
            args.append("--tls")
        if self.latency_ms:
            args += ["--latency-ms", str(self.latency_ms)]
        if self.api_limit is not None:
            args += ["--api-limit", str(self.api_limit)]
        if self.token_ttl is not None:
            args += ["--token-ttl", str(self.token_ttl)]
        if self.bulk_queue_ms:
            args += ["--bulk-queue-ms", str(self.bulk_queue_ms)]
        if self.bulk_records_per_second:
            args += ["--bulk-records-per-second", str(self.bulk_records_per_second)]
        args += self.extra_args
        self.process = subprocess.Popen(
            args,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        lines: Queue[str | None] = Queue()

        def pump_stdout() -> None:
            assert self.process is not None and self.process.stdout is not None
            for line in self.process.stdout:
                lines.put(line.rstrip("\n"))
            lines.put(None)

        def pump_stderr() -> None:
            assert self.process is not None and self.process.stderr is not None
            for line in self.process.stderr:
                self._stderr.append(line.rstrip("\n"))
                del self._stderr[:-200]

        threading.Thread(target=pump_stdout, daemon=True).start()
        threading.Thread(target=pump_stderr, daemon=True).start()
        deadline = time.monotonic() + self.start_timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.stop()
                raise EmulatorError(
                    "salesforce-emulator did not start within "
                    f"{self.start_timeout:.0f} s: {self.stderr_tail()}"
                )
            try:
                line = lines.get(timeout=min(remaining, 0.5))
            except Empty:
                continue
            if line is None:
                self.process.wait(timeout=5)
                raise EmulatorError(
                    f"salesforce-emulator exited with {self.process.returncode}: "
                    f"{self.stderr_tail()}"
                )
            if line.startswith("salesforce-emulator certificate "):
                self.ca_bundle = line.split(" ", 2)[2]
            elif line.startswith("salesforce-emulator listening on "):
                self.url = line.rsplit(" ", 1)[1]
                SalesforceEmulator._running.append(self)
                return

    def stderr_tail(self) -> str:
        time.sleep(0.1)
        return "\n".join(self._stderr[-20:]) or "(no stderr)"

    def stop(self) -> None:
        if self in SalesforceEmulator._running:
            SalesforceEmulator._running.remove(self)
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        for path in self._tmp:
            path.unlink(missing_ok=True)
        self._tmp.clear()

    # -- plain HTTP helpers ---------------------------------------------------------------
    def _open(self, request: urllib.request.Request, timeout: float = 30.0) -> Any:
        context = None
        if self.url.startswith("https"):
            import ssl

            context = ssl.create_default_context(cafile=self.ca_bundle)
        return urllib.request.urlopen(request, timeout=timeout, context=context)  # noqa: S310

    def call(self, method: str, path: str, body: Any = None) -> Any:
        """Call the inspection API; returns the decoded JSON answer."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(  # noqa: S310 - http(s) URL of the emulator
            self.url + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        try:
            with self._open(request) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            raise EmulatorError(f"{method} {path} → {exc.code}: {exc.read().decode()}") from None
        return json.loads(raw) if raw else None

    def stats(self) -> dict[str, Any]:
        return self.call("GET", "/__emulator/stats")

    def requests(self) -> list[dict[str, Any]]:
        """The request log: the last requests with arrival time (``at``, epoch seconds),
        ``method``, ``path`` (no query), ``status`` and, for data API calls, ``digest``."""
        return self.call("GET", "/__emulator/requests")["requests"]

    def records(self, obj: str) -> list[dict[str, Any]]:
        """Every record of ``obj``, all fields, deleted ones included."""
        return self.call("GET", f"/__emulator/records/{obj}")["records"]

    def seed(self, seed: dict[str, Any]) -> dict[str, Any]:
        return self.call("POST", "/__emulator/seed", seed)

    def reset(self, seeds: Sequence[str | dict[str, Any]] | None = None) -> dict[str, Any]:
        """Back to the start state (or to ``seeds``); counters, faults and jobs cleared."""
        return self.call(
            "POST", "/__emulator/reset", {} if seeds is None else {"seeds": list(seeds)}
        )

    def faults(self, **knobs: Any) -> dict[str, Any]:
        """Set faults, e.g. ``faults(seed=1, error_rate=0.1, lock_rate=0.05)`` or
        ``faults(fail_next=[429], retry_after=1)``."""
        return self.call("POST", "/__emulator/faults", knobs)

    def expire_tokens(self) -> None:
        self.faults(expire_tokens=True)

    def token(
        self,
        username: str = ADMIN_USERNAME,
        password: str | None = None,
        *,
        client_id: str = CLIENT_ID,
        client_secret: str = CLIENT_SECRET,
    ) -> dict[str, Any]:
        """The full token response of the OAuth password flow."""
        if password is None:
            password = INTEGRATION_PASSWORD if username == INTEGRATION_USERNAME else ADMIN_PASSWORD
        form = urlencode(
            {
                "grant_type": "password",
                "client_id": client_id,
                "client_secret": client_secret,
                "username": username,
                "password": password,
            }
        ).encode()
        request = urllib.request.Request(  # noqa: S310 - http(s) URL of the emulator
            self.url + "/services/oauth2/token",
            data=form,
            method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        try:
            with self._open(request) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            raise EmulatorError(f"password login failed: {exc.read().decode()}") from None

    def access_token(self, username: str = ADMIN_USERNAME, password: str | None = None) -> str:
        """An access token for ``username`` (password flow, default seed credentials)."""
        return self.token(username, password)["access_token"]

    def login(self, username: str = ADMIN_USERNAME, password: str | None = None) -> tuple[str, str]:
        """``(access_token, instance_url)`` for ``username``."""
        body = self.token(username, password)
        return body["access_token"], body["instance_url"]

    @property
    def api_base(self) -> str:
        return f"{self.url}/services/data/v{API_VERSION}"
