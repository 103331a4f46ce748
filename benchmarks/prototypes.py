"""Prototypes of the recommendations in RESULTS.md, applied in-process for measurement only.

``python prototypes.py tap|target --config FILE`` runs the real tap or target after applying
the prototypes named in ``BENCH_PROTOTYPES`` (comma-separated). The benchmark uses this to
measure a recommendation *before* anyone changes the product: the packages' code is untouched,
and nothing here is used outside ``benchmarks/``. Each prototype is the smallest faithful
version of its recommendation:

* ``query_budget`` (R1) — match queries filled to 15,600 URL-encoded characters, not 11,000;
* ``parallel_queries`` (R3) — a batch's match queries run ``max_concurrency`` at a time;
* ``prepared_url`` (R5) — pre-encoded ``query?q=`` URLs are sent without requests re-encoding;
* ``msgspec`` (R6) — singer-sdk's msgspec writer (tap) / reader (target);
* ``no_conform`` (R7) — the tap's stream skips the SDK's type conformance.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

QUERY_BUDGET = 15_600


def _query_budget() -> None:
    from target_salesforce_update import matching

    matching.MAX_ENCODED_QUERY_CHARS = QUERY_BUDGET
    defaults = dict(matching.match_queries.__kwdefaults__ or {})
    defaults["max_encoded_chars"] = QUERY_BUDGET
    matching.match_queries.__kwdefaults__ = defaults


def _parallel_queries() -> None:
    from target_salesforce_update import sinks
    from target_salesforce_update.matching import index_records, match_queries

    def _query(self: Any, plan: Any, keys: list[str]) -> dict[str, list[dict]]:
        client = self.context.client
        statements = list(match_queries(plan, keys))
        found: dict[str, list[dict]] = {}
        workers = max(1, min(client.max_concurrency, len(statements)))
        with ThreadPoolExecutor(workers, thread_name_prefix="bench-query") as pool:
            for records in pool.map(lambda s: list(client.query(s)), statements):
                for key, matched in index_records(records, plan).items():
                    found.setdefault(key, []).extend(matched)
        return found

    sinks.SalesforceUpdateSink._query = _query  # type: ignore[method-assign]


def _prepared_url() -> None:
    import requests

    original = requests.Session.request

    def request(self: requests.Session, method: str, url: str, **kwargs: Any) -> Any:
        if method != "GET" or "/query?q=" not in url or kwargs.get("params"):
            return original(self, method, url, **kwargs)
        prepared = self.prepare_request(
            requests.Request(method, url.split("?", 1)[0], headers=kwargs.get("headers"))
        )
        prepared.url = url  # already percent-encoded by the client
        settings = self.merge_environment_settings(
            url, {}, kwargs.get("stream"), kwargs.get("verify"), kwargs.get("cert")
        )
        return self.send(prepared, timeout=kwargs.get("timeout"), **settings)

    requests.Session.request = request  # type: ignore[method-assign]


def _msgspec_tap() -> None:
    from singer_sdk.contrib.msgspec import MsgSpecWriter
    from tap_walkme_insights.tap import TapWalkMeInsights

    TapWalkMeInsights.message_writer_class = MsgSpecWriter


def _msgspec_target() -> None:
    from singer_sdk.contrib.msgspec import MsgSpecReader
    from target_salesforce_update.target import TargetSalesforceUpdate

    TargetSalesforceUpdate.message_reader_class = MsgSpecReader


def _no_conform() -> None:
    from singer_sdk.helpers._typing import TypeConformanceLevel
    from tap_walkme_insights.streams import ReportStream

    ReportStream.TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE


TAP: dict[str, Callable[[], None]] = {"msgspec": _msgspec_tap, "no_conform": _no_conform}
TARGET: dict[str, Callable[[], None]] = {
    "query_budget": _query_budget,
    "parallel_queries": _parallel_queries,
    "prepared_url": _prepared_url,
    "msgspec": _msgspec_target,
}


def main() -> None:
    """Apply the prototypes for ``argv[1]`` (tap or target) and run its CLI with the rest."""
    side = sys.argv.pop(1)
    names = [n for n in os.environ.get("BENCH_PROTOTYPES", "").split(",") if n]
    table = TAP if side == "tap" else TARGET
    for name in names:
        if name in table:
            table[name]()
        elif name not in TAP and name not in TARGET:
            raise SystemExit(f"unknown prototype {name!r}; known: {sorted({*TAP, *TARGET})}")
    if side == "tap":
        from tap_walkme_insights.tap import TapWalkMeInsights

        TapWalkMeInsights.cli()
    else:
        from target_salesforce_update.target import TargetSalesforceUpdate

        TargetSalesforceUpdate.cli()


if __name__ == "__main__":
    main()
