"""The RECORD message path: the SDK's, minus the per-record steps that do nothing here.

For every RECORD, singer-sdk 0.54 copies the record, runs it through the stream's maps, looks
the sink up twice, checks for ``_sdc`` metadata, validates, pre-processes, logs a debug line
and re-reads the batch size from the config: 6.1 µs a record where 1.6 µs do what matters
(200k records through a no-op batch sink; benchmarks/RESULTS.md, Run J).

A stream is *plain* when none of those steps changes its records: its only map passes records
through (no target-side ``stream_maps``, no flattening), ``add_record_metadata`` and
``validate_records`` are off, and its sink keeps the SDK's ``preprocess_record``. For a plain
stream :func:`take_record` does exactly what the SDK's ``Target._process_record_message`` then
still does: remove ``_sdc`` columns, refuse a record missing a key property (the SDK's own
error), count it, hand it to the sink's ``process_record``, increment the records metric,
drain a full sink, honour the maximum record age. Every other stream, and every malformed
message, goes through the SDK's method unchanged.

Which streams are plain is worked out each time a SCHEMA message (re)builds a stream's maps
and sink (:func:`plain_sink`); :class:`PlainRecordMessages` is the mixin a target uses. This
leans on private methods of singer-sdk 0.54 (the target pins ``~=0.54.0``);
``tests/target/test_record_messages.py`` checks that both paths leave the same batches,
counts and errors.
"""

from __future__ import annotations

import typing as t

from singer_sdk.mapper import SameRecordTransform
from singer_sdk.sinks import BatchSink, Sink

if t.TYPE_CHECKING:
    from singer_sdk.target_base import Target

__all__ = ["PlainRecordMessages", "plain_sink", "take_record"]


def plain_sink(target: Target, stream_name: str) -> BatchSink | None:
    """The stream's active sink when its records need none of the SDK's per-record steps
    (see the module docstring), else None."""
    maps = target.mapper.stream_maps.get(stream_name) or []
    if len(maps) != 1:
        return None
    stream_map = maps[0]
    if type(stream_map) is not SameRecordTransform or stream_map.stream_alias != stream_name:
        return None
    if stream_map.flattening_enabled:
        return None
    sink = target._sinks_active.get(stream_name)
    if not isinstance(sink, BatchSink):
        return None
    if sink.include_sdc_metadata_properties or sink._validator is not None:
        return None
    if type(sink).preprocess_record is not Sink.preprocess_record:
        return None
    return sink


def take_record(target: Target, sink: BatchSink, record: dict) -> None:
    """The SDK's RECORD steps that matter for a plain stream's ``record`` (the message's
    own dict: a plain stream's map would return it unchanged, so it is not copied)."""
    sink._remove_sdc_metadata_from_record(record)
    sink._singer_validate_message(record)  # a missing key property stops the run
    context = sink._get_context(record)
    sink.tally_record_read()
    sink.process_record(record, context)
    sink.record_counter_metric.increment()
    if sink.is_full:
        target.logger.info(
            "Target sink for '%s' is full. Current size is '%s'. Draining...",
            sink.stream_name,
            sink.current_size,
        )
        target.drain_one(sink)
    target._handle_max_record_age()


class PlainRecordMessages:
    """Target mixin (before :class:`singer_sdk.Target` in the bases): RECORDs of plain streams
    take :func:`take_record`, every other message the SDK's own steps."""

    _plain_sinks: dict[str, BatchSink | None]

    def _process_schema_message(self, message_dict: dict) -> None:
        super()._process_schema_message(message_dict)  # type: ignore[misc]
        if "_plain_sinks" not in self.__dict__:
            self._plain_sinks = {}
        stream = message_dict["stream"]
        self._plain_sinks[stream] = plain_sink(self, stream)  # type: ignore[arg-type]

    def _process_record_message(self, message_dict: dict) -> None:
        plain = self.__dict__.get("_plain_sinks")
        sink = plain.get(message_dict.get("stream")) if plain else None  # type: ignore[arg-type]
        record = message_dict.get("record")
        if sink is None or record.__class__ is not dict:
            super()._process_record_message(message_dict)  # type: ignore[misc]
            return
        take_record(self, sink, record)  # type: ignore[arg-type]
