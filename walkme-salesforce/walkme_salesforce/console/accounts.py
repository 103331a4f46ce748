"""Accounts: which Salesforce org each Meltano environment is connected to, and connecting one.

The status of an environment comes from the manager: Meltano's resolved target config
(`connect.resolved_connection`), a login with it, and the permission check
(`permissions.check_access` on the integrations' objects, `connect.integration_objects`).
"Add account" is the OAuth web-server flow with PKCE and `state` through the browser: the
console builds the authorize URL with the target's `oauth_web_flow`, the org redirects back to
the console, and the code is exchanged and stored by `connect.store_web_flow_result` (`.env`
0600 + meltano.yml). "Disconnect" is `connect.disconnect` (revoke, then remove).

Resolved configs hold secrets: they stay in this process's memory, never in a page or a URL.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from target_salesforce_update.exceptions import SalesforceError
from target_salesforce_update.salesforce import SalesforceClient
from target_salesforce_update.salesforce.auth import exchange_code
from target_salesforce_update.salesforce.oauth_web_flow import Pkce, authorize_url

from .. import connect as connect_module
from ..errors import SetupError
from ..integrations import TAP
from ..meltano_cli import plugin_config
from ..permissions import check_access
from ..project import Project

CREDENTIAL_KEYS = ("refresh_token", "password", "private_key", "private_key_path", "access_token")
PENDING_TTL_S = 900


@dataclass
class AccountStatus:
    """What the Accounts screen shows for one environment."""

    environment: str
    connected: bool = False
    auth_flow: str = ""
    login_url: str = ""
    username: str = ""
    organization_id: str = ""
    instance_url: str = ""
    checked: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    error: str = ""
    checked_at: float = 0.0

    @property
    def permissions_ok(self) -> bool:
        """The permission check passed."""
        return self.connected and not self.missing


@dataclass
class PendingFlow:
    """An authorize request sent to the browser, waiting for its redirect back."""

    environment: str
    login_url: str
    client_id: str
    client_secret: str | None = field(repr=False)
    redirect_uri: str
    pkce: Pkce = field(repr=False)
    created: float = field(default_factory=time.time)


class Accounts:
    """Connection status per environment (cached), the configs behind it, pending OAuth flows."""

    def __init__(self, project_root: Any) -> None:
        self.root = project_root
        self._lock = threading.Lock()
        self._status: dict[str, AccountStatus] = {}
        self._configs: dict[tuple[str, str], dict[str, Any]] = {}
        self._pending: dict[str, PendingFlow] = {}

    def project(self, environment: str | None = None) -> Project:
        """The manager's Project for this folder and environment."""
        return Project(root=self.root, environment=environment)

    def environments(self) -> list[str]:
        """Environment names in meltano.yml, in file order."""
        data = self.project().load().data
        return [str(e.get("name")) for e in data.get("environments") or () if e.get("name")]

    def config(self, environment: str, plugin: str = connect_module.TARGET) -> dict[str, Any]:
        """Meltano's resolved config of a plugin in an environment (cached; holds secrets)."""
        key = (environment, plugin)
        with self._lock:
            if key in self._configs:
                return dict(self._configs[key])
        found = plugin_config(self.root, environment, plugin)
        with self._lock:
            self._configs[key] = found
        return dict(found)

    def tap_config(self, environment: str) -> dict[str, Any]:
        """The base tap's resolved config (WalkMe credentials, region) in an environment."""
        return self.config(environment, TAP)

    def forget(self, environment: str) -> None:
        """Drop cached configs and status of an environment (after connect/disconnect)."""
        with self._lock:
            self._status.pop(environment, None)
            for key in [k for k in self._configs if k[0] == environment]:
                del self._configs[key]

    def status(self, environment: str, *, refresh: bool = False) -> AccountStatus:
        """The environment's connection status, checked once and then cached."""
        with self._lock:
            cached = self._status.get(environment)
        if cached is not None and not refresh:
            return cached
        if refresh:
            self.forget(environment)
        found = self._check(environment)
        with self._lock:
            self._status[environment] = found
        return found

    def all_status(self) -> list[AccountStatus]:
        """Status of every environment."""
        return [self.status(name) for name in self.environments()]

    def connected(self) -> list[str]:
        """Environments whose connection logs in."""
        return [s.environment for s in self.all_status() if s.connected]

    def _check(self, environment: str) -> AccountStatus:
        status = AccountStatus(environment=environment, checked_at=time.time())
        try:
            config = self.config(environment)
        except SetupError as exc:
            status.error = str(exc)
            return status
        status.auth_flow = str(config.get("auth_flow") or "")
        status.login_url = str(config.get("login_url") or "")
        if not any(config.get(key) for key in CREDENTIAL_KEYS):
            return status
        objects = connect_module.integration_objects(self.project(environment))
        try:
            with SalesforceClient(config) as client:
                report = check_access(client, list(objects), objects)
                status.instance_url = client.instance_url
        except (SalesforceError, SetupError) as exc:
            status.error = f"Stored connection does not log in: {exc}"
            return status
        status.connected = True
        status.username = report.username
        status.organization_id = report.organization_id
        status.checked = report.checked
        status.missing = report.missing
        return status

    # -- OAuth web-server flow through the browser ----------------------------------------

    def begin(
        self,
        environment: str,
        login_url: str,
        client_id: str,
        client_secret: str | None,
        redirect_uri: str,
    ) -> tuple[str, str]:
        """Start a flow: return (state, authorize URL). The verifier and secret stay here."""
        if not client_id:
            raise SetupError(
                "No connected app client id: give the connected app's Consumer Key "
                "(or start the console with SALESFORCE_CLIENT_ID set)."
            )
        login_url = connect_module.resolve_login_url(
            connect_module.ConnectOptions(
                login_url, client_id, "", redirect_uri, False, 0, False, None, None, []
            ),
            {},
        )
        pkce = Pkce.new()
        state = secrets.token_urlsafe(24)
        try:
            url = authorize_url(login_url, client_id, redirect_uri, state, pkce)
        except SalesforceError as exc:
            raise SetupError(str(exc)) from None
        with self._lock:
            now = time.time()
            for key in [k for k, v in self._pending.items() if now - v.created > PENDING_TTL_S]:
                del self._pending[key]
            self._pending[state] = PendingFlow(
                environment, login_url, client_id, client_secret, redirect_uri, pkce
            )
        return state, url

    def finish(self, state: str, code: str) -> AccountStatus:
        """The redirect came back with `state` and `code`: exchange, store, check."""
        with self._lock:
            flow = self._pending.pop(state, None)
        if flow is None:
            raise SetupError("This sign-in link is unknown or expired: start Add account again.")
        try:
            result = exchange_code(
                flow.login_url,
                flow.client_id,
                flow.client_secret,
                code,
                flow.redirect_uri,
                flow.pkce,
            )
        except SalesforceError as exc:
            raise SetupError(str(exc)) from None
        if not result.refresh_token:
            raise SetupError(
                "Salesforce returned no refresh token: add the 'Perform requests at any time "
                "(refresh_token, offline_access)' scope to the connected app, then connect again."
            )
        connect_module.store_web_flow_result(
            self.project(flow.environment),
            flow.environment,
            flow.login_url,
            flow.client_id,
            flow.client_secret,
            result,
        )
        return self.status(flow.environment, refresh=True)

    def cancel(self, state: str) -> None:
        """Forget a flow the org refused or the user denied."""
        with self._lock:
            self._pending.pop(state, None)

    def disconnect(self, environment: str) -> AccountStatus:
        """Revoke at Salesforce and remove locally (the manager's `disconnect`)."""
        config = self.config(environment)
        connect_module.disconnect(self.project(environment), config)
        return self.status(environment, refresh=True)
