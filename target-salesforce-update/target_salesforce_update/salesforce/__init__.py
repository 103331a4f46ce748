"""The Salesforce wire protocol: every HTTP call the target (and the manager) makes to Salesforce.

- :mod:`.client`: ``SalesforceClient``, the thin front door composing the parts below.
- :mod:`.rest`: SOQL query, describe, limits, userinfo, sObject Collections update.
- :mod:`.bulk2` (+ :mod:`.bulk_csv`): Bulk API 2.0 ``update`` ingest jobs.
- :mod:`.bulk_query`: Bulk API 2.0 query jobs and ``COUNT()``.
- :mod:`.bulk_jobs`: the one Bulk job lifecycle (create, poll, abort, CSV results).
- :mod:`.transport`: the session and the one retry loop (renewal, limits, call meter, logging).
- :mod:`.retry_policy`: when to retry and how long to wait (urllib3 ``Retry``).
- :mod:`.errors`: the error tables (``errorCode`` / HTTP status → named error; OAuth refusals).
- :mod:`.auth`: every token-endpoint call (flows, code exchange, revoke);
  :mod:`.connection_settings` and :mod:`.jwt_assertion` check and sign what it sends.
- :mod:`.oauth_web_flow`: PKCE, the authorize URL and the loopback redirect receiver.

Errors are the package-wide ones in :mod:`target_salesforce_update.exceptions`.
"""

from __future__ import annotations

from .client import RecordError, SalesforceClient, SaveResult

__all__ = ["RecordError", "SalesforceClient", "SaveResult"]
