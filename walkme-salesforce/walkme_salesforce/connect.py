"""`connect`, `check` and `disconnect`: link a Meltano environment to a Salesforce org.

connect (interactive, the default): the OAuth 2.0 web-server flow with PKCE and `state` through
a loopback redirect listener — print (and open) the authorize URL, receive the code on
`http://localhost:1717/OauthRedirect` (configurable), exchange it, store the refresh token and
instance URL for the environment (see `connection`), then check the user's permissions.

connect --jwt (headless servers): store the JWT bearer settings (client id, username, private
key path — the key file stays where it is) and prove they work by logging in.

disconnect: revoke the stored token at Salesforce, then remove it locally.

No secret is ever printed: the authorize URL carries only the client id, the PKCE challenge and
the one-time state.
"""

from __future__ import annotations

import getpass
import os
import secrets
import sys
import webbrowser
from dataclasses import dataclass
from typing import Any

from target_salesforce_update.exceptions import SalesforceError
from target_salesforce_update.salesforce import SalesforceClient
from target_salesforce_update.salesforce.auth import (
    PRODUCTION_LOGIN_URL,
    SANDBOX_LOGIN_URL,
    WebFlowResult,
    check_url,
    exchange_code,
)
from target_salesforce_update.salesforce.oauth_web_flow import (
    DEFAULT_REDIRECT_URI,
    LoopbackReceiver,
    Pkce,
    authorize_url,
)

from .connection import env_var, forget_connection, shadowing_variables, write_connection
from .errors import SetupError
from .integrations import TARGET, list_integrations, read_integration
from .meltano_cli import plugin_config
from .permissions import check_access
from .project import Project

DEFAULT_CHECK_OBJECTS = ("Contact", "Lead")


@dataclass
class ConnectOptions:
    """What `connect` was asked to do (from flags or prompts)."""

    login_url: str | None
    client_id: str | None
    client_secret_env: str
    redirect_uri: str
    open_browser: bool
    timeout: float
    jwt: bool
    username: str | None
    private_key_path: str | None
    check_objects: list[str]


def _say(message: str) -> None:
    print(message, flush=True)


def _existing_env_config(project: Project, environment: str) -> dict[str, Any]:
    """The environment's literal loader config in meltano.yml (no `$VAR` expansion)."""
    config = project.load().environment_plugin_config(environment, "loaders", TARGET)
    return dict(config or {})


def _literal(value: Any) -> str | None:
    """A configured value unless it is a `$VAR` reference (which we cannot read literally)."""
    if value is None or (isinstance(value, str) and "$" in value):
        return None
    return str(value)


def resolve_login_url(options: ConnectOptions, existing: dict[str, Any]) -> str:
    """--login-url / --sandbox / --production / --my-domain, else the environment's login_url."""
    url = options.login_url or _literal(existing.get("login_url"))
    if not url:
        raise SetupError(
            "Which org? Pass --production (login.salesforce.com), --sandbox "
            "(test.salesforce.com) or --my-domain https://yourdomain.my.salesforce.com."
        )
    try:
        return check_url(url, "login URL")
    except SalesforceError as exc:
        raise SetupError(str(exc)) from None


def _client_id(options: ConnectOptions, existing: dict[str, Any]) -> str:
    client_id = (
        options.client_id
        or _literal(existing.get("client_id"))
        or os.environ.get("SALESFORCE_CLIENT_ID")
    )
    if not client_id and sys.stdin.isatty():
        client_id = input("Connected app consumer key (client id): ").strip()
    if not client_id:
        raise SetupError(
            "No connected app client id: pass --client-id (the connected app's Consumer Key) "
            "or set SALESFORCE_CLIENT_ID."
        )
    return client_id


def _client_secret(options: ConnectOptions) -> str | None:
    secret = os.environ.get(options.client_secret_env)
    if secret is None and sys.stdin.isatty():
        secret = getpass.getpass(
            "Connected app consumer secret (leave empty if the app does not require one): "
        )
    return secret or None


def _objects_to_check(project: Project, options: ConnectOptions) -> dict[str, list[str]]:
    """Objects (and their mapped fields) whose access to verify after connecting."""
    if options.check_objects:
        return {name: [] for name in options.check_objects}
    document = project.load()
    wanted: dict[str, list[str]] = {}
    for name in list_integrations(document):
        try:
            integration = read_integration(document, name)
        except SetupError:
            continue
        if integration.sobject:
            wanted.setdefault(integration.sobject, []).extend(integration.field_mapping.values())
    return wanted or {name: [] for name in DEFAULT_CHECK_OBJECTS}


def verify_access(client: SalesforceClient, objects: dict[str, list[str]]) -> bool:
    """Print who is connected and which permissions are missing; True when nothing is."""
    report = check_access(client, list(objects), objects)
    _say(f"Connected as {report.username or '(unknown user)'} (org {report.organization_id}).")
    if report.checked:
        _say(f"Checked read and edit access on: {', '.join(report.checked)}.")
    if report.missing:
        _say("Missing permissions (ask a Salesforce admin to grant them, then run `check`):")
        for item in report.missing:
            _say(f"  - {item}")
        return False
    _say("The user can read object metadata and update records on these objects.")
    return True


def _warn_shadowing(project: Project) -> None:
    for name in shadowing_variables(project):
        _say(
            f"Warning: {name} overrides every environment's connection; remove it so the "
            "per-environment values written here take effect."
        )


def connect(project: Project, options: ConnectOptions) -> int:
    """Run the chosen flow, store the connection for the environment, check permissions."""
    environment = project.require_environment(may_be_new=True)
    existing = _existing_env_config(project, environment)
    login_url = resolve_login_url(options, existing)
    client_id = _client_id(options, existing)
    if not project.has_environment(environment):
        _say(
            f"Environment {environment!r} is not in meltano.yml yet: it is added (at the end of "
            "`environments:`, the rest of the file kept as it is) when the connection is stored."
        )
    if options.jwt:
        return _connect_jwt(project, environment, login_url, client_id, options)

    client_secret = _client_secret(options)
    pkce = Pkce.new()
    state = secrets.token_urlsafe(24)
    url = authorize_url(login_url, client_id, options.redirect_uri, state, pkce)
    try:
        with LoopbackReceiver(options.redirect_uri, state) as receiver:
            _say(f"Connecting Meltano environment {environment!r} to {login_url}.")
            _say("Open this URL in a browser, log in and allow access:")
            _say(f"  {url}")
            _say(f"Waiting for the redirect to {options.redirect_uri} …")
            if options.open_browser:
                webbrowser.open(url)
            code = receiver.wait(options.timeout)
        result = exchange_code(
            login_url, client_id, client_secret, code, options.redirect_uri, pkce
        )
    except SalesforceError as exc:
        raise SetupError(str(exc)) from None
    if not result.refresh_token:
        raise SetupError(
            "Salesforce returned no refresh token: add the 'Perform requests at any time "
            "(refresh_token, offline_access)' scope to the connected app, then connect again."
        )
    names, config = store_web_flow_result(
        project, environment, login_url, client_id, client_secret, result
    )
    _say(
        f"Stored the connection for {environment!r}: {', '.join(sorted(names))} in "
        f"{project.dotenv_path} (mode 0600), referenced from meltano.yml."
    )
    _warn_shadowing(project)
    code = _check(config, _objects_to_check(project, options))
    _say(_next_after_connect(environment))
    return code


def _next_after_connect(environment: str) -> str:
    return (
        f"Next: see what can be matched and updated: walkme-salesforce describe -e "
        f"{environment} Contact; then add an integration: walkme-salesforce add NAME -e "
        f"{environment} --report SOURCE --key COLUMN --object Contact --map COLUMN=FIELD"
    )


def store_web_flow_result(
    project: Project,
    environment: str,
    login_url: str,
    client_id: str,
    client_secret: str | None,
    result: WebFlowResult,
) -> tuple[list[str], dict[str, Any]]:
    """Store a web-server flow's tokens for the environment (`.env` 0600 + meltano.yml).

    Returns the `.env` names written and the connection config to check access with (shared by
    `connect` and the web console's OAuth callback).
    """
    if not result.refresh_token:
        raise SetupError("Salesforce returned no refresh token: nothing to store.")
    stored_secrets = {"REFRESH_TOKEN": result.refresh_token, "INSTANCE_URL": result.instance_url}
    if client_secret:
        stored_secrets["CLIENT_SECRET"] = client_secret
    settings = {"auth_flow": "refresh_token", "login_url": login_url, "client_id": client_id}
    names = write_connection(project, environment, settings, stored_secrets)
    config = {**settings, "refresh_token": result.refresh_token, "client_secret": client_secret}
    return names, config


def _connect_jwt(
    project: Project,
    environment: str,
    login_url: str,
    client_id: str,
    options: ConnectOptions,
) -> int:
    if not options.username or not options.private_key_path:
        raise SetupError(
            "--jwt needs --username (the run-as user, pre-authorised for the connected app) "
            "and --private-key-path (PEM key whose certificate is uploaded to the app)."
        )
    key_path = os.path.abspath(os.path.expanduser(options.private_key_path))
    settings = {
        "auth_flow": "jwt_bearer",
        "login_url": login_url,
        "client_id": client_id,
        "username": options.username,
        "private_key_path": key_path,
    }
    try:
        with SalesforceClient.from_config(settings):
            pass
    except SalesforceError as exc:
        raise SetupError(str(exc)) from None
    write_connection(project, environment, settings, {})
    _say(
        f"Stored JWT bearer settings for {environment!r} in meltano.yml (the key stays at "
        f"{key_path}; keep it readable only by the user running Meltano)."
    )
    _warn_shadowing(project)
    code = _check(settings, _objects_to_check(project, options))
    _say(_next_after_connect(environment))
    return code


def _check(config: dict[str, Any], objects: dict[str, list[str]]) -> int:
    try:
        with SalesforceClient(config) as client:
            return 0 if verify_access(client, objects) else 1
    except SalesforceError as exc:
        raise SetupError(f"The connection was stored but the check failed: {exc}") from None


def resolved_connection(project: Project, config_file: dict[str, Any] | None) -> dict[str, Any]:
    """The target's connection settings: a --config file, or Meltano's resolved config."""
    if config_file is not None:
        return config_file
    return plugin_config(project.root, project.require_environment(), TARGET)


def check(project: Project, config: dict[str, Any], objects: list[str]) -> int:
    """Re-check a stored connection's permissions (after an admin granted what was missing)."""
    wanted = {name: [] for name in objects} if objects else integration_objects(project)
    return _check(config, wanted)


def integration_objects(project: Project) -> dict[str, list[str]]:
    """The integrations' objects and mapped fields (else Contact and Lead): what `check` checks."""
    return _objects_to_check(
        project,
        ConnectOptions(None, None, "", DEFAULT_REDIRECT_URI, False, 0, False, None, None, []),
    )


def disconnect(project: Project, config: dict[str, Any]) -> int:
    """Revoke the environment's token at Salesforce, then delete it from `.env`/meltano.yml."""
    environment = project.require_environment()
    revoked = False
    if config.get("refresh_token") or config.get("auth_flow") in {"jwt_bearer"}:
        try:
            with SalesforceClient(config) as client:
                client.revoke()
            revoked = True
        except SalesforceError as exc:
            _say(f"Warning: Salesforce did not revoke the token ({exc}); removing it locally.")
    else:
        _say(f"No stored refresh token for {environment!r}: nothing to revoke at Salesforce.")
    removed = forget_connection(project, environment)
    if revoked:
        _say(f"Revoked the token at {config.get('login_url') or PRODUCTION_LOGIN_URL}.")
    if removed:
        _say(f"Removed {', '.join(removed)} from {project.dotenv_path}.")
    _say(f"Environment {environment!r} is disconnected.")
    if config.get("auth_flow") == "jwt_bearer":
        _say(
            "JWT bearer needs no stored token; to stop access entirely, remove the user's "
            "pre-authorisation or the certificate from the connected app."
        )
    return 0


__all__ = [
    "DEFAULT_REDIRECT_URI",
    "PRODUCTION_LOGIN_URL",
    "SANDBOX_LOGIN_URL",
    "ConnectOptions",
    "check",
    "connect",
    "disconnect",
    "env_var",
    "integration_objects",
    "resolved_connection",
    "store_web_flow_result",
]
