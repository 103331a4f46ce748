"""The root of every error the tap raises.

Each module keeps its own error class (``settings.SettingsError``, ``http.HttpError``,
``sources.SourceError``, ``csv_reader.CsvFormatError``, …); all descend from
:class:`TapWalkMeInsightsError`, so ``except TapWalkMeInsightsError`` catches every one. Errors in
the configuration or the export's content are also ``ValueError``; failures to fetch are also
``RuntimeError``.
"""

from __future__ import annotations

__all__ = ["TapWalkMeInsightsError"]


class TapWalkMeInsightsError(Exception):
    """The root of every error tap-walkme-insights raises."""
