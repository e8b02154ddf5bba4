"""The file journal: append-only checksummed records, torn tails dropped, corruption refused."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from exchange import codes as c
from exchange import commands as C
from exchange.journal import (
    HEADER,
    CorruptJournal,
    FileJournal,
    FsyncPolicy,
    encode_record,
    scan,
)
from exchange.pipeline import JournalEntry


def _entry(seq: int, cause: int = 0) -> JournalEntry:
    row = C.new_order(3, 7, c.SIDE_BUY, seq, 1_000 + seq, ts=10_000 + seq)
    return JournalEntry(seq, row, cause)


def _write(path: Path, n: int, fsync: str = "never") -> list[JournalEntry]:
    entries = [_entry(i, cause=i - 1 if i % 5 == 0 else 0) for i in range(1, n + 1)]
    j = FileJournal(path, fsync)
    for e in entries:
        j.append(e)
    j.close()
    return entries


def _read(path: Path) -> FileJournal:
    """Open, read and close the journal at ``path``."""
    with FileJournal(path) as j:
        return j


def _same(a: list[JournalEntry], b: list[JournalEntry]) -> bool:
    return [(e.seq, e.cause, e.cmd.tolist()) for e in a] == [
        (e.seq, e.cause, e.cmd.tolist()) for e in b
    ]


@pytest.mark.parametrize("policy", ["always", "never", "batch:3", "batch:1ms"])
def test_records_read_back_exactly_under_every_fsync_policy(tmp_path: Path, policy: str) -> None:
    path = tmp_path / "j"
    entries = _write(path, 12, policy)
    with FileJournal(path) as j:
        assert _same(list(j), entries)
    again = FileJournal(path, policy)
    assert len(again) == 12 and _same(again.recovered, entries)
    again.append(_entry(13))
    again.close()
    assert [e.seq for e in _read(path).recovered] == list(range(1, 14))


def test_notes_ride_along_with_their_record(tmp_path: Path) -> None:
    path = tmp_path / "j"
    j = FileJournal(path)
    j.append(_entry(1))
    j.annotate(b"label-x")
    j.append(_entry(2))
    j.append(_entry(3))
    j.close()
    assert _read(path).notes == {2: b"label-x"}


def test_truncating_the_last_record_at_every_offset_drops_only_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "j"
    entries = _write(path, 4)
    whole = path.read_bytes()
    last = len(encode_record(entries[-1]))
    start = len(whole) - last
    for cut in range(start, len(whole)):
        path.write_bytes(whole[:cut])
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="flopex.journal"):
            j = FileJournal(path)
        assert _same(j.recovered, entries[:-1]), cut
        if cut > start:
            assert f"torn last record at offset {start}" in caplog.text, cut
        # The torn tail is cut off, so a new record follows the last good one.
        j.append(entries[-1])
        j.close()
        assert path.read_bytes() == whole, cut


def test_a_flipped_bit_in_the_last_record_is_a_torn_tail(tmp_path: Path) -> None:
    path = tmp_path / "j"
    entries = _write(path, 3)
    data = bytearray(path.read_bytes())
    data[-3] ^= 0x10
    path.write_bytes(bytes(data))
    assert _same(_read(path).recovered, entries[:2])


def test_a_corrupt_record_in_the_middle_is_an_error_not_skipped(tmp_path: Path) -> None:
    path = tmp_path / "j"
    _write(path, 3)
    data = bytearray(path.read_bytes())
    first_end = HEADER.size + len(encode_record(_entry(1)))
    data[first_end - 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(CorruptJournal, match=f"offset {HEADER.size}"):
        scan(path)
    with pytest.raises(CorruptJournal):
        _read(path)


def test_a_sequence_gap_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "j"
    _write(path, 2)
    with open(path, "ab") as f:
        f.write(encode_record(_entry(4)))
    with pytest.raises(CorruptJournal, match="seq 4, expected 3"):
        scan(path)


def test_torn_header_and_foreign_files(tmp_path: Path) -> None:
    path = tmp_path / "j"
    path.write_bytes(HEADER.pack(b"FLXJ", 1, c.CMD_WIDTH)[:5])
    j = FileJournal(path)
    j.append(_entry(1))
    j.close()
    assert len(_read(path)) == 1
    path.write_bytes(b"hello world, not a journal")
    with pytest.raises(CorruptJournal):
        _read(path)


def test_fsync_policy_parsing() -> None:
    assert FsyncPolicy.parse("always") == FsyncPolicy("always")
    assert FsyncPolicy.parse("batch:64") == FsyncPolicy("batch", every=64)
    assert FsyncPolicy.parse("batch:5ms") == FsyncPolicy("batch", interval_ms=5.0)
    for bad in ("sometimes", "batch:0", "batch:-1ms"):
        with pytest.raises(ValueError):
            FsyncPolicy.parse(bad)


def test_appends_must_be_consecutive(tmp_path: Path) -> None:
    j = FileJournal(tmp_path / "j")
    with pytest.raises(ValueError):
        j.append(_entry(2))
    j.close()


def test_a_pipeline_replays_from_the_file_to_the_same_state(tmp_path: Path) -> None:
    from exchange.pipeline import Pipeline
    from exchange.venue import Venue

    path = tmp_path / "j"
    t0 = 1_767_225_600_000_000_000  # 2026-01-01
    live = Pipeline(Venue(n_accounts=8), journal=FileJournal(path, "never"))
    live.open(t0)
    for i in range(20):
        side = c.SIDE_BUY if i % 2 else c.SIDE_SELL
        live.submit(C.limit(0, 1 + i % 3, side, 1 + i % 4, 5_000 + (i % 5), ts=t0 + i))
    live.advance(t0 + 1_000)
    live_journal = live.journal
    assert isinstance(live_journal, FileJournal)
    live_journal.close()
    replayed = Pipeline(Venue(n_accounts=8))
    replayed.replay(_read(path).recovered)
    assert replayed.state_hash() == live.state_hash()
    assert len(replayed.journal) == len(live_journal) == 22
    assert np.array_equal(list(replayed.journal)[5].cmd, list(live_journal)[5].cmd)
