"""The Salesforce wire protocol: every HTTP call the target (and the manager) makes to Salesforce.

- :mod:`.client`: ``SalesforceClient``, the front door (REST, sObject Collections, limits, retries).
- :mod:`.auth`: the OAuth 2.0 flows that turn connection settings into an access token.
- :mod:`.oauth_web_flow`: the web-server flow (PKCE, loopback redirect) used to connect an org.
- :mod:`.bulk2`: Bulk API 2.0 ``update`` ingest jobs.
- :mod:`.bulk_query`: Bulk API 2.0 query jobs and ``COUNT()``.

Errors are the package-wide ones in :mod:`target_salesforce_update.exceptions`.
"""

from __future__ import annotations

from .client import RecordError, SalesforceClient, SaveResult

__all__ = ["RecordError", "SalesforceClient", "SaveResult"]
