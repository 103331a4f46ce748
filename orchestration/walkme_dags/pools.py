"""One Airflow pool per Salesforce org, so the 09:00 burst cannot flood one org.

Each Meltano environment is connected to one Salesforce org (``walkme-salesforce connect -e
ENV``), so the pool is named after the environment: ``salesforce_org_<env>``. When several
environments write to the same org, give them one org name with ``WALKME_AIRFLOW_ORG_<ENV>``
(e.g. ``WALKME_AIRFLOW_ORG_PROD_EU=acme`` and ``WALKME_AIRFLOW_ORG_PROD_US=acme`` share
``salesforce_org_acme``). Every integration task of the org runs in its pool; the pool's slots
are how many integrations may run against the org at once. Slots come from
``WALKME_AIRFLOW_POOL_SLOTS_<ORG>`` (e.g. ``WALKME_AIRFLOW_POOL_SLOTS_PROD=3``), else
``WALKME_AIRFLOW_POOL_SLOTS``, else 4.

Airflow does not create pools from DAG files (a task in a missing pool never starts), so create
them once per deployment, and again after adding an environment::

    python -m walkme_dags.pools prod sandbox > pools.json && airflow pools import pools.json

Changing a pool's slots later in the Airflow UI or with ``airflow pools set`` takes effect at
once; this module only gives the starting values.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Mapping, Sequence

DEFAULT_SLOTS = 4
POOL_PREFIX = "salesforce_org_"


def _env_key(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_").upper()


def org_name(environment: str, environ: Mapping[str, str] | None = None) -> str:
    """The org an environment writes to: ``WALKME_AIRFLOW_ORG_<ENV>``, else the environment."""
    environ = os.environ if environ is None else environ
    return environ.get(f"WALKME_AIRFLOW_ORG_{_env_key(environment)}") or environment


def pool_name(environment: str, environ: Mapping[str, str] | None = None) -> str:
    """The pool of the Salesforce org an environment is connected to."""
    org = org_name(environment, environ)
    return POOL_PREFIX + re.sub(r"[^A-Za-z0-9_]+", "_", org).strip("_").lower()


def pool_slots(environment: str, environ: Mapping[str, str] | None = None) -> int:
    """Slots for an environment's org pool (see the module docstring for the variables)."""
    environ = os.environ if environ is None else environ
    org = _env_key(org_name(environment, environ))
    for key in (f"WALKME_AIRFLOW_POOL_SLOTS_{org}", "WALKME_AIRFLOW_POOL_SLOTS"):
        raw = environ.get(key)
        if raw is None or raw == "":
            continue
        if not raw.isdigit() or int(raw) < 1:
            msg = f"{key}={raw!r} must be a whole number of pool slots (1 or more)."
            raise ValueError(msg)
        return int(raw)
    return DEFAULT_SLOTS


def pools_document(
    environments: Sequence[str], environ: Mapping[str, str] | None = None
) -> dict[str, dict[str, object]]:
    """The pools of these environments' orgs in ``airflow pools import`` format."""
    return {
        pool_name(env, environ): {
            "slots": pool_slots(env, environ),
            "description": "WalkMe → Salesforce integrations running against the "
            f"{org_name(env, environ)} org",
            "include_deferred": False,
        }
        for env in environments
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Print the pools of the environments given (or WALKME_AIRFLOW_ENVIRONMENTS) as JSON."""
    args = list(sys.argv[1:] if argv is None else argv)
    environments = args or [
        e.strip() for e in os.environ.get("WALKME_AIRFLOW_ENVIRONMENTS", "").split(",") if e.strip()
    ]
    if not environments:
        print(
            "usage: python -m walkme_dags.pools ENV [ENV...] "
            "(or set WALKME_AIRFLOW_ENVIRONMENTS=prod,sandbox)",
            file=sys.stderr,
        )
        return 2
    print(json.dumps(pools_document(environments), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
