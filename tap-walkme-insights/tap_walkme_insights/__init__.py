"""tap-walkme-insights: WalkMe Insights report exports (CSV) as Singer streams.

Modules: ``tap`` (settings schema, discovery), ``streams`` (one stream per report),
``sources`` (where an export is and which one is newest), ``csv_reader``, ``inference``,
``row_codec`` (one-regex fast path for checking/converting a row), ``naming``, ``layout``,
``dedupe`` (key fingerprints), ``singer_output`` (msgspec RECORD writer), ``settings``,
``http`` (retries, secret-free errors) and ``walkme_auth`` (client-credentials token).
"""
