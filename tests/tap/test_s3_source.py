"""An ``s3://`` source read through fsspec/s3fs from moto's S3 server, started on 127.0.0.1."""

from __future__ import annotations

import time

import pytest
from walkme_tap_helpers import run_tap

boto3 = pytest.importorskip("boto3")
moto_server = pytest.importorskip("moto.server")
pytest.importorskip("s3fs")

BUCKET = "walkme-exports"


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    """A local S3-compatible server and a client for it (dummy credentials, loopback only)."""
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    client.create_bucket(Bucket=BUCKET)
    try:
        yield endpoint, client
    finally:
        server.stop()


def storage_options(endpoint: str) -> dict[str, object]:
    return {
        "key": "testing",
        "secret": "testing",
        "client_kwargs": {"endpoint_url": endpoint, "region_name": "us-east-1"},
    }


def test_newest_export_under_a_prefix(s3) -> None:
    endpoint, client = s3
    client.put_object(
        Bucket=BUCKET, Key="nps/2026-11-25.csv", Body=b"End User ID,Answer\nold@x.com,3\n"
    )
    time.sleep(1.1)  # S3 LastModified has one-second resolution
    client.put_object(
        Bucket=BUCKET,
        Key="nps/2026-11-26.csv",
        Body="\ufeffEnd User ID,Answer\nnew@x.com,9\nNEW@x.com,10\n".encode(),
    )
    client.put_object(Bucket=BUCKET, Key="nps/readme.txt", Body=b"not an export")
    config = {
        "report_name": "nps",
        "source": f"s3://{BUCKET}/nps/",
        "key_column": "End User ID",
        "storage_options": storage_options(endpoint),
    }
    result = run_tap(config)
    assert result.records["nps"] == [{"end_user_id": "NEW@x.com", "answer": 10}]
    export = result.state["bookmarks"]["nps"]["export"]
    assert export["kind"] == "s3"
    assert export["path"] == f"s3://{BUCKET}/nps/2026-11-26.csv"
    assert export["etag"]
    # A re-run with the same newest object emits nothing.
    assert "nps" not in run_tap(config, state=result.state).records


def test_single_object_and_glob(s3) -> None:
    endpoint, client = s3
    client.put_object(Bucket=BUCKET, Key="onb/x.csv", Body=b"Email,Score\na@x.com,1\n")
    for source in (f"s3://{BUCKET}/onb/x.csv", f"s3://{BUCKET}/onb/*.csv"):
        config = {
            "report_name": "onboarding",
            "source": source,
            "key_column": "Email",
            "storage_options": storage_options(endpoint),
        }
        assert run_tap(config).records["onboarding"] == [{"email": "a@x.com", "score": 1}]


def test_missing_object_is_a_clear_error(s3) -> None:
    from singer_sdk.exceptions import ConfigValidationError

    endpoint, _ = s3
    config = {
        "report_name": "onboarding",
        "source": f"s3://{BUCKET}/nothing-here.csv",
        "key_column": "Email",
        "storage_options": storage_options(endpoint),
    }
    with pytest.raises(ConfigValidationError, match="does not exist"):
        run_tap(config)
