"""The local snapshot of the Bulk query strategy (:mod:`.match_snapshot`), on its own: what a
lookup hands out, in which order, and that a record is handed out once (no HTTP here; the
strategy's end-to-end behaviour against the emulator is tests/target/test_match_strategy.py)."""

from __future__ import annotations

import os

from target_salesforce_update.field_spec import FieldSpec
from target_salesforce_update.match_snapshot import MatchSnapshot

HEADER = ["Id", "Email", "Done__c", "Score__c"]


def _snapshot(pages: list[list[list[str]]]) -> MatchSnapshot:
    match = FieldSpec(name="Email", type="email")
    specs = {"Email": match, "Done__c": FieldSpec(name="Done__c", type="boolean")}
    snapshot = MatchSnapshot(match, specs)
    snapshot.load((HEADER, rows) for rows in pages)
    return snapshot


def test_lookup_gives_records_per_folded_key_in_bulk_order_with_cells_as_rest_gives_them():
    snapshot = _snapshot(
        [
            [
                ["003A", "Ann@x.example", "true", "10"],
                ["003B", "bob@x.example", "", ""],
                ["003C", "", "false", "1"],  # no key: not stored
            ],
            [["003D", "ANN@x.example", "FALSE", "2.5"]],
        ]
    )
    try:
        assert snapshot.records == 3
        found, used = snapshot.lookup(["ann@x.example", "bob@x.example", "nobody@x.example"])
        assert used == []
        assert found == {
            "ann@x.example": [
                {"Id": "003A", "Email": "Ann@x.example", "Done__c": True, "Score__c": "10"},
                {"Id": "003D", "Email": "ANN@x.example", "Done__c": False, "Score__c": "2.5"},
            ],
            "bob@x.example": [
                {"Id": "003B", "Email": "bob@x.example", "Done__c": None, "Score__c": None}
            ],
        }
    finally:
        snapshot.close()


def test_a_record_handed_out_once_makes_its_key_used_in_every_later_lookup():
    snapshot = _snapshot([[["003A", "a@x.example", "true", "1"], ["003B", "b@x.example", "", ""]]])
    try:
        first, _ = snapshot.lookup(["a@x.example"])
        assert list(first) == ["a@x.example"]
        again, used = snapshot.lookup(["a@x.example", "b@x.example"])
        assert used == ["a@x.example"]  # the caller reads it fresh: this run may have written it
        assert list(again) == ["b@x.example"]
        _, used = snapshot.lookup(["b@x.example"])
        assert used == ["b@x.example"]
    finally:
        snapshot.close()


def test_the_snapshot_leaves_no_file_behind_even_while_it_is_open():
    """A run killed mid-stream (SIGKILL, out of memory) must not leave hundreds of MB of
    records in the temporary directory: the records file is unlinked as soon as it is
    created, so only the open handle holds it."""
    rows = [[f"003{i:012d}", f"u{i}@x.example", "true", str(i)] for i in range(20_000)]
    snapshot = _snapshot([rows])
    try:
        found, _ = snapshot.lookup(["u19999@x.example"])
        assert found["u19999@x.example"][0]["Id"] == "003000000019999"
        fd = snapshot._file.fileno()
        assert os.fstat(fd).st_size > 20_000 * 20  # the records are in the file, not in memory
        link = os.readlink(f"/proc/{os.getpid()}/fd/{fd}")
        assert link.endswith(" (deleted)")  # no name in any directory
        assert not os.path.exists(link.removesuffix(" (deleted)"))
    finally:
        snapshot.close()
    assert snapshot._file.closed


def test_lookups_of_many_keys_span_chunks():
    rows = [[f"003{i:012d}", f"u{i}@x.example", "true", str(i)] for i in range(2_345)]
    snapshot = _snapshot([rows])
    try:
        keys = [f"u{i}@x.example" for i in range(2_345, -1, -1)]  # one key not stored
        found, used = snapshot.lookup(keys)
        assert used == []
        assert len(found) == 2_345
        assert found["u1234@x.example"] == [
            {
                "Id": "003000000001234",
                "Email": "u1234@x.example",
                "Done__c": True,
                "Score__c": "1234",
            }
        ]
    finally:
        snapshot.close()


def test_stored_keys_are_the_match_keys_of_the_cells():
    """Whatever the cell (padding, case, non-ASCII, blank), a lookup by its match key finds it."""
    from target_salesforce_update.matching import match_key

    emails = ["  Pad@X.example ", "MiXeD@x.EXAMPLE", "STRASSE@x.example", "Straße@x.example", " "]
    rows = [[f"003{i:012d}", email, "", ""] for i, email in enumerate(emails)]
    snapshot = _snapshot([rows])
    match = FieldSpec(name="Email", type="email")
    try:
        keys = [match_key(email, match) for email in emails]
        assert keys[-1] is None
        found, _ = snapshot.lookup([k for k in dict.fromkeys(keys) if k])
        assert {key: [r["Id"] for r in records] for key, records in found.items()} == {
            "pad@x.example": ["003000000000000"],
            "mixed@x.example": ["003000000000001"],
            "strasse@x.example": ["003000000000002", "003000000000003"],
        }
    finally:
        snapshot.close()


def test_keys_sharing_a_hash_are_told_apart_by_the_stored_key(monkeypatch):
    """The index holds 32-bit hashes of keys; a lookup compares the stored key of each
    candidate, so colliding keys (forced here: every key hashes alike, at the last range)
    still get only their own records, in Bulk order."""
    import target_salesforce_update.match_snapshot as module

    monkeypatch.setattr(module, "_hash", lambda key: (1 << module._HASH_BITS) - 1)
    rows = [[f"003{i:012d}", f"u{i % 50}@x.example", "", str(i)] for i in range(200)]
    snapshot = _snapshot([rows])
    try:
        found, used = snapshot.lookup(["u7@x.example", "nobody@x.example", "u49@x.example"])
        assert used == []
        assert sorted(found) == ["u49@x.example", "u7@x.example"]
        assert [r["Score__c"] for r in found["u7@x.example"]] == ["7", "57", "107", "157"]
        assert {r["Email"] for r in found["u49@x.example"]} == {"u49@x.example"}
    finally:
        snapshot.close()


def test_a_second_load_adds_to_the_first():
    snapshot = _snapshot([[["003A", "a@x.example", "true", "1"]]])
    try:
        stored = snapshot.load([(HEADER, [["003B", "b@x.example", "false", "2"]])])
        assert stored == 1 and snapshot.records == 2
        found, _ = snapshot.lookup(["a@x.example", "b@x.example"])
        assert found["a@x.example"][0]["Id"] == "003A"
        assert found["b@x.example"][0] == {
            "Id": "003B",
            "Email": "b@x.example",
            "Done__c": False,
            "Score__c": "2",
        }
    finally:
        snapshot.close()


def test_a_record_longer_than_one_read_comes_back_whole():
    """A lookup reads a few hundred bytes at once; a longer record (a long text field) is
    read again at its full length."""
    long_text = "x" * 5_000 + "é" * 300
    snapshot = _snapshot(
        [[["003A", "a@x.example", "true", long_text], ["003B", "b@x.example", "", "2"]]]
    )
    try:
        found, _ = snapshot.lookup(["a@x.example", "b@x.example"])
        assert found["a@x.example"][0]["Score__c"] == long_text
        assert found["b@x.example"][0]["Score__c"] == "2"
    finally:
        snapshot.close()


def test_without_pread_lookups_seek_and_a_second_load_still_appends(monkeypatch):
    """Where the OS has no pread (Windows), lookups seek and read; a later load must still
    write at the end of the file, not where the last lookup left the position."""
    import target_salesforce_update.match_snapshot as module

    monkeypatch.setattr(module, "_pread", module._seek_read)
    rows = [["003A", "a@x.example", "true", "1"]]
    rows += [[f"003{i:012d}", f"u{i}@x.example", "", str(i)] for i in range(100)]
    snapshot = _snapshot([rows])  # many times one read: the position stops mid-file
    try:
        found, _ = snapshot.lookup(["a@x.example"])
        assert found["a@x.example"][0]["Id"] == "003A"
        snapshot.load([(HEADER, [["003C", "c@x.example", "false", "3"]])])
        keys = [f"u{i}@x.example" for i in range(100)]
        found, _ = snapshot.lookup([*keys, "c@x.example"])
        assert [found[key][0]["Score__c"] for key in keys] == [str(i) for i in range(100)]
        assert found["c@x.example"][0] == {
            "Id": "003C",
            "Email": "c@x.example",
            "Done__c": False,
            "Score__c": "3",
        }
    finally:
        snapshot.close()
