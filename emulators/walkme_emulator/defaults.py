"""Documented emulator-only demo values and the environment variables that override them.

These values protect nothing: they exist so a demo works without configuration. Tests that need a
secret they can grep for (to prove it is never logged) generate their own at run time.
"""

from __future__ import annotations

import os

DEMO_CLIENT_ID = "walkme-demo-client"
DEMO_CLIENT_SECRET = "walkme-demo-secret"  # noqa: S105 - documented emulator-only demo value
DEMO_SIGNING_KEY = "walkme-emulator-demo-signing-key"

ENV_CLIENT_ID = "WALKME_EMULATOR_CLIENT_ID"
ENV_CLIENT_SECRET = "WALKME_EMULATOR_CLIENT_SECRET"  # noqa: S105 - a variable name, not a secret
ENV_SIGNING_KEY = "WALKME_EMULATOR_SIGNING_KEY"

DEFAULT_TOKEN_TTL = 86400  # WalkMe tokens last 24 hours
DEFAULT_SIGNED_TTL = 3600
DEFAULT_HOST = "127.0.0.1"


def client_id_default() -> str:
    """The client id the server accepts when no flag is given."""
    return os.environ.get(ENV_CLIENT_ID) or DEMO_CLIENT_ID


def client_secret_default() -> str:
    """The client secret the server accepts when no flag is given."""
    return os.environ.get(ENV_CLIENT_SECRET) or DEMO_CLIENT_SECRET


def signing_key_default() -> str:
    """The HMAC key for signed report links when no flag is given."""
    return os.environ.get(ENV_SIGNING_KEY) or DEMO_SIGNING_KEY
