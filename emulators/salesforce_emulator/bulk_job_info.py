"""The job info both kinds of Bulk API 2.0 job answer (``GET …/jobs/ingest/{id}``,
``GET …/jobs/query/{id}``, and the short form in create, close and list answers).

:class:`JobInfo` is a mixin for the two job dataclasses (:class:`~.bulk_job.Job`,
:class:`~.bulk_query.QueryJob`): it builds the fields they share, in Salesforce's order, and
asks the job for what differs — the ``jobType``, an ``externalIdFieldName`` and ``contentUrl``
(ingest only) and the processing counters of the full form.
"""

from __future__ import annotations

from typing import Any, ClassVar


class JobInfo:
    """Mixin: ``info(full=…)`` from the attributes below (declared by the dataclass)."""

    JOB_TYPE: ClassVar[str]
    id: str
    operation: str
    object: str
    created_by: str
    created: str
    modstamp: str
    state: str
    api_version: str
    line_ending: str
    column_delimiter: str
    error_message: str | None

    def external_id_field(self) -> str | None:
        """``externalIdFieldName`` (upsert ingest jobs); None leaves the key out."""
        return None

    def content_url(self) -> str | None:
        """``contentUrl`` (ingest jobs); None leaves the key out."""
        return None

    def progress(self) -> dict[str, Any]:
        """The full form's counters after ``jobType``."""
        raise NotImplementedError

    def info(self, *, full: bool) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "operation": self.operation,
            "object": self.object,
            "createdById": self.created_by,
            "createdDate": self.created,
            "systemModstamp": self.modstamp,
            "state": self.state,
        }
        external_id = self.external_id_field()
        if external_id is not None:
            data["externalIdFieldName"] = external_id
        data.update(
            {
                "concurrencyMode": "Parallel",
                "contentType": "CSV",
                "apiVersion": float(self.api_version),
            }
        )
        url = self.content_url()
        if url is not None:
            data["contentUrl"] = url
        data["lineEnding"] = self.line_ending
        data["columnDelimiter"] = self.column_delimiter
        if full:
            data["jobType"] = self.JOB_TYPE
            data.update(self.progress())
            if self.error_message:
                data["errorMessage"] = self.error_message
        return data
