"""Durable gateway: the journaled pipeline on a data directory, and crash recovery.

``flopex serve --data-dir DIR`` keeps two files in ``DIR``:

- ``journal.flxj``: the ``exchange.journal.FileJournal`` of the gateway's
  ``exchange.pipeline.Pipeline``. Every command (open, clock ticks, orders, edits,
  cancels) is written there before it takes effect. A record of a new order carries,
  as its note, the gateway's ``PlaceOrder`` (label, type, good-til-day: what the engine
  row does not hold); a cancel carries its reason.
- ``keys.json``: accounts and API keys (salts and scrypt digests, never secrets),
  rewritten atomically (temp file, fsync, rename) whenever an account or key is made.

On start, ``DurableSequencer`` reads the journal (a torn last record is dropped with a
warning) and the gateway replays it through the same fold as live commands
(``PipelineTask.recover``) before it accepts a connection, so orders, fills, positions,
trade ids and book change ids come back exactly. Only then does the pipeline write to
the file again.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import numpy.typing as npt

from exchange import codes as c
from exchange.journal import FileJournal, FsyncPolicy
from exchange.pipeline import OP_OPEN, JournalEntry, Pipeline, ReplayMismatch
from exchange.venue import Venue
from gateway.commands import PlaceOrder
from gateway.sequencer import SequencerFactory

log = logging.getLogger("flopex.gateway")

JOURNAL_FILE = "journal.flxj"
KEYS_FILE = "keys.json"
SNAPSHOT_MAGIC = b"FLXS\x01\n"
SNAPSHOT_HEAD = struct.Struct("<Q32s")
"""After the magic: the seq the snapshot was taken at, SHA-256 of the pickle."""
SNAPSHOTS_KEPT = 2

Row = npt.NDArray[np.int64]
Events = npt.NDArray[np.int64]


class ReplayNote(msgspec.Struct, frozen=True, omit_defaults=True):
    """What the gateway needs on replay beyond the engine row."""

    place: PlaceOrder | None = None
    cancel_reason: str | None = None


_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder(ReplayNote).decode


def encode_note(place: PlaceOrder | None, cancel_reason: str | None) -> bytes:
    """Return the journal note of a command ("" when there is nothing to keep)."""
    if place is None and cancel_reason is None:
        return b""
    return _encode(ReplayNote(place, cancel_reason))


def decode_note(note: bytes) -> ReplayNote:
    """Return the ``ReplayNote`` of a journal note (empty note: nothing)."""
    return _decode(note) if note else ReplayNote()


class DurableSequencer:
    """A ``Sequencer`` (gateway/sequencer.py) backed by a pipeline and a file journal.

    ``backlog`` holds the journal found on disk; until ``end_recovery`` the pipeline
    journals into memory only, so replaying does not write the records a second time.
    """

    def __init__(
        self, venue: Venue, journal: FileJournal, snapshot: Snapshot | None = None
    ) -> None:
        self.journal = journal
        self.pipeline = Pipeline(venue)
        self.backlog: list[JournalEntry] = list(journal.recovered)
        self.notes: dict[int, bytes] = dict(journal.notes)
        journal.recovered, journal.notes = [], {}
        last = self.backlog[-1].seq if self.backlog else 0
        if snapshot is not None and snapshot.seq > last:
            log.warning(
                "snapshot at seq %d is ahead of the journal (seq %d): ignored", snapshot.seq, last
            )
            snapshot = None
        self.snapshot = snapshot
        if snapshot is not None:
            self.pipeline.venue = snapshot.state["venue"]
            self.pipeline.resume(snapshot.seq)
            self.backlog = [e for e in self.backlog if e.seq > snapshot.seq]
        elif self.backlog and int(self.backlog[0].cmd[c.C_OP]) != OP_OPEN:
            raise ReplayMismatch(f"{journal.path}: the first record does not open the venue")
        self.recovering = bool(self.backlog) or snapshot is not None
        if not self.recovering:
            self.pipeline.journal = journal

    # ------------------------------------------------------------ Sequencer
    def open(self, ts: int) -> Events:
        """Open the venue at ``ts`` ns (journaled)."""
        return self.pipeline.open(ts)

    def submit(self, cmd: Row) -> Events:
        """Journal and process ``cmd``."""
        return self.pipeline.submit(cmd)

    def advance(self, ts: int) -> Events:
        """Journal and apply a clock move to ``ts`` ns; fsync a due batch."""
        events = self.pipeline.advance(ts)
        if self.journal.policy.mode == "batch" and self.journal.sync_due():
            self.journal.sync()
        return events

    def submit_noted(self, cmd: Row, note: bytes) -> Events:
        """Journal ``cmd`` with ``note`` attached, and process it."""
        self.journal.annotate(note)
        try:
            return self.pipeline.submit(cmd)
        finally:
            self.journal.annotate(b"")

    # ------------------------------------------------------------ recovery
    def replay(self, entry: JournalEntry) -> Events:
        """Re-run one journaled command; derived ones are regenerated by their cause."""
        if entry.cause:
            return np.zeros((0, c.EV_WIDTH), dtype=np.int64)
        if self.pipeline.seq + 1 != entry.seq:
            raise ReplayMismatch(
                f"journal entry {entry.seq} would replay as {self.pipeline.seq + 1}"
            )
        return self.pipeline.submit(entry.cmd)

    def end_recovery(self) -> None:
        """Check the replay reached the journal's end and write new commands to the file."""
        last = self.backlog[-1].seq if self.backlog else self.pipeline.seq
        if self.pipeline.seq != last:
            raise ReplayMismatch(f"replay ended at seq {self.pipeline.seq}, the journal at {last}")
        self.pipeline.journal = self.journal
        self.backlog, self.notes, self.snapshot, self.recovering = [], {}, None, False

    def state_hash(self) -> str:
        """Return the pipeline's state hash (sequence number and engine state)."""
        return self.pipeline.state_hash()

    def close(self) -> None:
        """fsync and close the journal."""
        self.journal.close()


def durable_factory(data_dir: str | Path, fsync: FsyncPolicy | str = "always") -> SequencerFactory:
    """Return a sequencer factory journaling to ``data_dir``/journal.flxj, restoring
    from the newest good snapshot there."""
    root = Path(data_dir)

    def make(venue: Venue) -> DurableSequencer:
        root.mkdir(parents=True, exist_ok=True)
        journal = FileJournal(root / JOURNAL_FILE, fsync)
        return DurableSequencer(venue, journal, load_snapshot(root))

    return make


# ---------------------------------------------------------------------- snapshots
@dataclass(frozen=True)
class Snapshot:
    """Gateway state (venue with its engine arena, instruments, market data, orders)
    as it stood after command ``seq``."""

    seq: int
    state: dict[str, Any]
    path: Path


def snapshot_path(root: Path, seq: int) -> Path:
    """Return the file name of the snapshot taken at ``seq``."""
    return root / f"snapshot-{seq:012d}.flxs"


def write_snapshot(root: Path, seq: int, state: dict[str, Any]) -> Path:
    """Write ``state`` atomically (temp file, fsync, rename, fsync of the directory);
    keep the newest ``SNAPSHOTS_KEPT`` snapshots. The caller fsyncs the journal first."""
    payload = pickle.dumps(state, protocol=5)
    path = snapshot_path(root, seq)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as f:
        f.write(SNAPSHOT_MAGIC + SNAPSHOT_HEAD.pack(seq, hashlib.sha256(payload).digest()))
        f.write(payload)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fd = os.open(root, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    for old in sorted(root.glob("snapshot-*.flxs"))[:-SNAPSHOTS_KEPT]:
        old.unlink(missing_ok=True)
    return path


def load_snapshot(root: Path) -> Snapshot | None:
    """Return the newest snapshot in ``root`` whose checksum holds (None: none).

    A damaged snapshot is skipped with a warning: the journal alone is complete, a
    snapshot only shortens the replay. Snapshots are pickles the server wrote itself;
    the data directory must be trusted like the server's code.
    """
    for stray in root.glob("snapshot-*.tmp"):  # a crash while writing one
        stray.unlink(missing_ok=True)
    for path in sorted(root.glob("snapshot-*.flxs"), reverse=True):
        data = path.read_bytes()
        head = len(SNAPSHOT_MAGIC) + SNAPSHOT_HEAD.size
        if len(data) < head or not data.startswith(SNAPSHOT_MAGIC):
            log.warning("snapshot %s: bad header, skipped", path)
            continue
        seq, digest = SNAPSHOT_HEAD.unpack_from(data, len(SNAPSHOT_MAGIC))
        payload = memoryview(data)[head:]
        if hashlib.sha256(payload).digest() != digest:
            log.warning("snapshot %s: checksum mismatch, skipped", path)
            continue
        state = pickle.loads(payload)
        return Snapshot(seq, state, path)
    return None
