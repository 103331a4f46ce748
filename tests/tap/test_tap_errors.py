"""One error root for the tap: every exception class it defines descends from
TapWalkMeInsightsError; configuration and content errors are ValueError, fetch errors
RuntimeError."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import tap_walkme_insights
from tap_walkme_insights.csv_reader import CsvFormatError
from tap_walkme_insights.dedupe import DuplicateKeyError
from tap_walkme_insights.errors import TapWalkMeInsightsError
from tap_walkme_insights.http import HttpAuthError, HttpError
from tap_walkme_insights.inference import ValueMismatch
from tap_walkme_insights.layout import LayoutError
from tap_walkme_insights.settings import SettingsError
from tap_walkme_insights.sources import SourceError
from tap_walkme_insights.streams import TypeMismatchError

HIERARCHY: dict[type[BaseException], type[BaseException]] = {
    SettingsError: ValueError,
    LayoutError: ValueError,
    CsvFormatError: ValueError,
    DuplicateKeyError: ValueError,
    ValueMismatch: ValueError,
    TypeMismatchError: ValueError,
    SourceError: RuntimeError,
    HttpError: RuntimeError,
    HttpAuthError: HttpError,
}


def test_every_error_class_descends_from_the_one_root() -> None:
    found: set[type[BaseException]] = set()
    for module_info in pkgutil.iter_modules(tap_walkme_insights.__path__):
        module = importlib.import_module(f"tap_walkme_insights.{module_info.name}")
        for _, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, BaseException) and value.__module__ == module.__name__:
                found.add(value)
    assert found == set(HIERARCHY) | {TapWalkMeInsightsError}, "update HIERARCHY"
    for cls, base in HIERARCHY.items():
        assert issubclass(cls, TapWalkMeInsightsError), cls
        assert issubclass(cls, base), (cls, base)
