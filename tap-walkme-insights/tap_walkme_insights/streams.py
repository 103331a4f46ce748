"""``ReportStream``: one WalkMe Insights report export → one RECORD per unique key.

A sync reads the export twice, streaming both times (memory does not grow with rows):

1. **check and index** — every cell is checked against its column's type (a cell that does not
   fit stops the sync *before any record is emitted*, naming rows and columns), empty keys are
   counted, and the winning row number of each key is kept (see :mod:`.dedupe`);
2. **emit** — rows are read again and only each key's winning row becomes a RECORD of the
   selected properties.

Pass 2 checks a row with one regex (:class:`.row_codec.RowCodec`); pass 1 checks a batch of
rows column by column (:meth:`.row_codec.RowCodec.fits_fast_batch`) and a batch that does not
pass row by row with that regex. Only rows off that fast path are checked cell by cell by
:mod:`.inference`, with the same result.

The stream's state bookmark ``export`` records which export was synced. When the newest export
has the same identity as the bookmark, nothing is emitted; without state (Meltano's
``--full-refresh``) the newest export is read again.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from singer_sdk import Stream
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.singerlib import RecordMessage
from singer_sdk.singerlib.catalog import Metadata, MetadataMapping, StreamMetadata

from tap_walkme_insights.csv_reader import ReportCsv
from tap_walkme_insights.dedupe import KeyIndex
from tap_walkme_insights.errors import TapWalkMeInsightsError
from tap_walkme_insights.inference import column_type_of
from tap_walkme_insights.layout import ReportLayout, find_column
from tap_walkme_insights.naming import property_names
from tap_walkme_insights.row_codec import CodecColumn, RowCodec
from tap_walkme_insights.sources import ExportSource, FetchedExport

if TYPE_CHECKING:
    from singer_sdk.helpers.types import Context
    from singer_sdk.tap_base import Tap

    from tap_walkme_insights.settings import ReportSettings

_MAX_REPORTED_MISMATCHES = 10


class TypeMismatchError(TapWalkMeInsightsError, ValueError):
    """Cells that do not fit their column's type (named by row and column, not by value)."""


@dataclass(slots=True)
class ColumnMetadata(Metadata):
    """Property metadata plus ``walkme-column``: the header as written in the export."""

    walkme_column: str | None = None


@dataclass(slots=True)
class ReportMetadata(StreamMetadata):
    """Stream metadata plus where the report comes from (no secrets)."""

    walkme_source: str | None = None
    walkme_key_column: str | None = None
    walkme_system: str | None = None
    walkme_environment: str | None = None


@dataclass(frozen=True)
class _Column:
    index: int
    header: str
    prop: str
    column_type: str


class ReportStream(Stream):
    """One configured report."""

    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE
    """:func:`.inference.convert` already returns values of the declared JSON types (str, int,
    float, bool, None; never NaN or infinity) holding only catalog properties, so the SDK's
    per-record re-check would change nothing (measured: 12.8 % of the tap's CPU)."""

    def __init__(
        self,
        tap: Tap,
        report: ReportSettings,
        layout: ReportLayout,
        source: ExportSource,
        source_label: str,
    ) -> None:
        """Create the stream from a discovered ``layout`` (schema, key) and its ``source``."""
        self.report = report
        self.layout = layout
        self.source = source
        self.source_label = source_label
        super().__init__(tap=tap, schema=layout.schema(), name=report.name)
        self.primary_keys = [layout.key_property]

    @property
    def metadata(self) -> MetadataMapping:
        """Standard metadata, plus the original headers and the report's provenance."""
        mapping = super().metadata
        if self._tap_input_catalog is not None:
            return mapping
        root = mapping.root
        if not isinstance(root, ReportMetadata):
            values = {name: getattr(root, name) for name in StreamMetadata.__dataclass_fields__}
            mapping[()] = ReportMetadata(
                **values,
                walkme_source=self.source_label,
                walkme_key_column=self.layout.headers[self.layout.key_index],
                walkme_system=self.report.system,
                walkme_environment=self.report.environment,
            )
            for header, prop in zip(self.layout.headers, self.layout.properties, strict=True):
                breadcrumb = ("properties", prop)
                old = mapping[breadcrumb]
                values = {name: getattr(old, name) for name in Metadata.__dataclass_fields__}
                mapping[breadcrumb] = ColumnMetadata(**values, walkme_column=header)
        return mapping

    # -- sync ---------------------------------------------------------------------------------

    def _columns_for(self, reader: ReportCsv, *, quiet: bool = False) -> tuple[list[_Column], int]:
        """Map the export's header onto the catalog schema's properties."""
        properties = self.effective_schema.get("properties", {})
        key_index = find_column(
            reader.header, self.report.key_column, setting="key_column", label=reader.label
        )
        columns = []
        ignored = []
        for index, (header, prop) in enumerate(
            zip(reader.header, property_names(reader.header), strict=True)
        ):
            if prop not in properties:
                ignored.append(header)
                continue
            columns.append(_Column(index, header, prop, column_type_of(properties[prop])))
        if ignored and not quiet:
            self.logger.warning(
                "%s: columns not in the catalog are ignored (re-run discovery to add them): %s",
                reader.label,
                ", ".join(repr(h) for h in ignored),
            )
        return columns, key_index

    def _check_and_index(self, export: FetchedExport) -> tuple[KeyIndex, int]:
        """Pass 1: type-check every cell and find each key's winning row.

        The cyclic garbage collector is paused meanwhile: pass 1 makes no reference cycles,
        but its batches of live rows would trigger collections of the older generations
        (≈ 10 % of pass 1's CPU)."""
        collecting = gc.isenabled()
        gc.disable()
        try:
            return self._check_and_index_rows(export)
        finally:
            if collecting:
                gc.enable()

    def _check_and_index_rows(self, export: FetchedExport) -> tuple[KeyIndex, int]:
        with export.open() as handle:
            reader = ReportCsv(handle, self.report.csv, export.label)
            columns, key_index = self._columns_for(reader)
            key_header = reader.header[key_index]
            index = KeyIndex(self.report.duplicate_keys, export.label, key_header)
            codec = RowCodec([CodecColumn(c.index, c.prop, c.column_type) for c in columns])
            headers = {c.index: c.header for c in columns}
            mismatches: list[str] = []
            mismatch_count = 0
            add_keys = index.add_batch
            key_of = itemgetter(key_index)
            fits_fast = codec.fits_fast
            fits_fast_batch = codec.fits_fast_batch
            for start, batch in reader.row_batches():
                add_keys(list(map(key_of, batch)), start)
                if fits_fast_batch(batch):
                    continue
                for row_number, cells in enumerate(batch, start + 1):
                    if fits_fast(cells):
                        continue
                    for column, problem in codec.check_slow(cells):
                        mismatch_count += 1
                        if len(mismatches) < _MAX_REPORTED_MISMATCHES:
                            mismatches.append(
                                f"row {row_number} column {headers[column.index]!r} "
                                f"({column.column_type}): {problem}"
                            )
            index.finish()
            rows = reader.counts.rows
            self._log_reader_counts(reader)
        if mismatch_count:
            msg = (
                f"{export.label}: {mismatch_count} cell(s) do not fit their column's type, so "
                f"nothing was emitted: {'; '.join(mismatches)}. Set `column_types` for these "
                "columns (e.g. 'string') or re-run discovery."
            )
            raise TypeMismatchError(msg)
        return index, rows

    def _log_reader_counts(self, reader: ReportCsv) -> None:
        counts = reader.counts
        if counts.ragged_skipped:
            self.logger.warning(
                "%s: skipped %d ragged row(s) (first: %s).",
                reader.label,
                counts.ragged_skipped,
                counts.ragged_rows_seen,
            )
        if counts.replaced_bytes_rows:
            self.logger.warning(
                "%s: %d line(s) had invalid %s bytes, read as U+FFFD.",
                reader.label,
                counts.replaced_bytes_rows,
                self.report.csv.encoding,
            )

    def _emit(self, export: FetchedExport, index: KeyIndex) -> Iterable[dict[str, Any]]:
        """Pass 2: yield the winning row of every key as a record (selected properties only)."""
        with export.open() as handle:
            reader = ReportCsv(handle, self.report.csv, export.label, quiet=True)
            columns, key_index = self._columns_for(reader, quiet=True)
            mask = self.mask
            codec = RowCodec(
                [
                    CodecColumn(c.index, c.prop, c.column_type)
                    for c in columns
                    if mask[("properties", c.prop)]
                ]
            )
            is_winner = index.is_winner
            to_record = codec.record
            for row_number, cells in reader.rows():
                if is_winner(cells[key_index], row_number):
                    yield to_record(cells)

    def _generate_record_messages(self, record: dict[str, Any]) -> Iterator[RecordMessage]:
        """The SDK's record → RECORD message step, minus the per-record work that is already
        done: :meth:`_emit` builds selected properties only (the SDK would copy and filter
        each record against the selection mask) and values are already typed
        (``TYPE_CONFORMANCE_LEVEL`` is ``NONE``). Stream maps still apply.

        Overrides a private method of singer-sdk 0.54 (the tap pins ``~=0.54.0``); its
        signature and role are checked by ``tests/tap/test_tap_sync.py``."""
        for stream_map in self.stream_maps:
            mapped = stream_map.transform(record)
            if mapped is not None:
                yield RecordMessage(
                    stream=stream_map.stream_alias,
                    record=mapped,
                    version=self._stream_version,
                    time_extracted=dt.datetime.now(dt.timezone.utc),
                )

    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """Read the newest export unless the bookmark says it was already synced."""
        state = self.get_context_state(context)
        bookmark = state.get("export")
        ref = self.source.locate()
        if bookmark is not None and bookmark == ref.identity:
            self.logger.info("%s was already synced; no new export, nothing to emit.", ref.label)
            return
        with self.source.fetch(ref, bookmark) as export:
            if export is None:
                self.logger.info("%s is unchanged since the last sync; nothing to emit.", ref.label)
                return
            if bookmark is not None and bookmark == export.identity:
                self.logger.info("%s is unchanged since the last sync; nothing to emit.", ref.label)
                return
            index, rows = self._check_and_index(export)
            emitted = 0
            for record in self._emit(export, index):
                emitted += 1
                yield record
            self.logger.info(
                "Report %r from %s: %d rows, %d records; %d row(s) with an empty key skipped%s; "
                "%d duplicate row(s) over %d key(s) resolved by duplicate_keys=%r.",
                self.name,
                export.label,
                rows,
                emitted,
                index.empty_keys,
                f" (first: {index.empty_key_rows})" if index.empty_keys else "",
                index.duplicate_rows,
                index.duplicated_keys,
                self.report.duplicate_keys,
            )
            state["export"] = export.identity
            state["synced_at"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
            state["records"] = emitted
            if self.report.system:
                state["system"] = self.report.system
            if self.report.environment:
                state["environment"] = self.report.environment
