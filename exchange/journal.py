"""A file journal for ``exchange.pipeline``: append-only, checksummed, torn-tail safe.

File layout (little-endian)::

    header   b"FLXJ" | u16 version (1) | u16 command width (``codes.CMD_WIDTH``)
    record*  u32 n | u32 crc32(payload) | payload (n bytes)
    payload  u64 seq | u64 cause | int64[CMD_WIDTH] row | note (n - 16 - 8*width bytes)

``seq`` is the pipeline sequence number (1, 2, …, strictly consecutive), ``cause`` 0 or
the sequence number of the command that derived this one, ``row`` the command exactly
as received (gate rejections and plug-in commands are journaled like any other
command: their outcome is recomputed on replay). ``note`` is optional opaque bytes a
front end attaches to the next record (``annotate``), e.g. an order label that is not
part of the engine row.

Each record is written with one ``write`` system call before the pipeline applies the
command. Reading back (``open`` and ``__iter__``):

- a *last* record that is incomplete or fails its checksum is a torn write from a
  crash: it is discarded with a warning naming its offset, and ``open`` truncates the
  file there so the next append follows the last good record;
- a bad record *followed by more data*, a wrong header or a sequence gap is
  corruption, never skipped: ``CorruptJournal`` is raised.

Fsync policy (``FsyncPolicy.parse``):

- ``always``: ``fsync`` after every record. An acknowledged command survives power
  loss. Costs one disk flush per command (tens of µs on NVMe, ms on spinning or
  network disks) and caps the command rate accordingly.
- ``batch:N`` / ``batch:Tms``: ``fsync`` every N records or when T ms have passed since
  the last one (checked at each append and by ``sync_due``). A process crash (kill -9)
  loses nothing, because every record is in the OS page cache when ``append`` returns;
  a power loss or kernel crash may lose up to one batch of acknowledged commands.
- ``never``: the OS flushes when it likes. Same guarantee against process crashes;
  none against power loss. For simulations and tests.
"""

from __future__ import annotations

import logging
import os
import struct
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from exchange import codes as c
from exchange.pipeline import JournalEntry

log = logging.getLogger("flopex.journal")

MAGIC = b"FLXJ"
VERSION = 1
HEADER = struct.Struct("<4sHH")
RECORD = struct.Struct("<II")
"""Record prefix: payload length, CRC-32 of the payload."""
SEQ_CAUSE = struct.Struct("<QQ")
ROW_BYTES = 8 * c.CMD_WIDTH
MIN_PAYLOAD = SEQ_CAUSE.size + ROW_BYTES
MAX_NOTE = 1 << 16
"""Largest note accepted; also bounds what a reader believes a length field."""


class CorruptJournal(RuntimeError):
    """The journal is damaged somewhere other than its last record: refuse to go on."""


@dataclass(frozen=True)
class FsyncPolicy:
    """When to ``fsync``: ``mode`` is ``always``, ``batch`` or ``never``."""

    mode: str = "always"
    every: int = 0
    """batch: fsync after this many records (0: no count limit)."""
    interval_ms: float = 0.0
    """batch: fsync when this long has passed since the last fsync (0: no time limit)."""

    @classmethod
    def parse(cls, text: str) -> FsyncPolicy:
        """Parse ``always``, ``never``, ``batch`` (= ``batch:100``), ``batch:N`` or ``batch:Tms``."""
        text = text.strip().lower()
        if text in ("always", "never"):
            return cls(text)
        if text == "batch":
            return cls("batch", every=100)
        if text.startswith("batch:"):
            arg = text[6:]
            if arg.endswith("ms"):
                ms = float(arg[:-2])
                if ms <= 0:
                    raise ValueError(f"batch interval must be positive: {text!r}")
                return cls("batch", interval_ms=ms)
            n = int(arg)
            if n < 1:
                raise ValueError(f"batch size must be at least 1: {text!r}")
            return cls("batch", every=n)
        raise ValueError(f"fsync policy is always, never, batch:N or batch:Tms, not {text!r}")


def encode_record(entry: JournalEntry, note: bytes = b"") -> bytes:
    """Return the bytes of one record (prefix and payload)."""
    row = np.ascontiguousarray(entry.cmd, dtype="<i8")
    if row.shape != (c.CMD_WIDTH,):
        raise ValueError(f"a command is {c.CMD_WIDTH} int64 fields, got {row.shape}")
    if len(note) > MAX_NOTE:
        raise ValueError(f"note of {len(note)} bytes exceeds {MAX_NOTE}")
    payload = SEQ_CAUSE.pack(entry.seq, entry.cause) + row.tobytes() + note
    return RECORD.pack(len(payload), zlib.crc32(payload)) + payload


@dataclass(frozen=True)
class Scan:
    """What reading a journal file found."""

    records: list[tuple[JournalEntry, bytes]]
    good_end: int
    """Offset just past the last good record."""
    size: int
    """File size; ``size > good_end`` means a torn tail."""


def scan(path: str | os.PathLike[str]) -> Scan:
    """Read and verify every record of the journal at ``path``.

    Returns the records with their notes, and where the good data ends. A torn last
    record is logged and left out; corruption before the end raises ``CorruptJournal``.
    """
    data = Path(path).read_bytes()
    size = len(data)
    if size < HEADER.size:
        if data != HEADER.pack(MAGIC, VERSION, c.CMD_WIDTH)[:size]:
            raise CorruptJournal(f"{path}: not a flopex journal v{VERSION}")
        if size:
            log.warning("journal %s: torn header (%d bytes) at offset 0 discarded", path, size)
        return Scan([], 0, size)
    magic, version, width = HEADER.unpack_from(data, 0)
    if magic != MAGIC or version != VERSION:
        raise CorruptJournal(f"{path}: not a flopex journal v{VERSION} (got {magic!r} v{version})")
    if width != c.CMD_WIDTH:
        raise CorruptJournal(f"{path}: rows are {width} fields, this build uses {c.CMD_WIDTH}")
    out: list[tuple[JournalEntry, bytes]] = []
    off = HEADER.size
    last_seq = 0
    while off < size:
        torn = _bad_record(data, off)
        if torn is not None:
            reason, end = torn
            if end >= size:
                log.warning(
                    "journal %s: torn last record at offset %d (%s, %d bytes) discarded",
                    path, off, reason, size - off,
                )  # fmt: skip
                return Scan(out, off, size)
            raise CorruptJournal(
                f"{path}: corrupt record at offset {off} ({reason}) with {size - end} bytes "
                "after it; refusing to skip it"
            )
        n, _ = RECORD.unpack_from(data, off)
        body = off + RECORD.size
        seq, cause = SEQ_CAUSE.unpack_from(data, body)
        if seq != last_seq + 1:
            raise CorruptJournal(
                f"{path}: record at offset {off} has seq {seq}, expected {last_seq + 1}"
            )
        row = np.frombuffer(data, dtype="<i8", count=c.CMD_WIDTH, offset=body + SEQ_CAUSE.size)
        row = row.astype(np.int64)
        row.flags.writeable = False
        note = data[body + MIN_PAYLOAD : body + n]
        out.append((JournalEntry(seq, row, cause), note))
        last_seq = seq
        off = body + n
    return Scan(out, off, size)


def _bad_record(data: bytes, off: int) -> tuple[str, int] | None:
    """Return (reason, end offset it claims) if the record at ``off`` is unusable."""
    size = len(data)
    if off + RECORD.size > size:
        return "incomplete prefix", size
    n, crc = RECORD.unpack_from(data, off)
    end = off + RECORD.size + n
    if n < MIN_PAYLOAD or n > MIN_PAYLOAD + MAX_NOTE:
        # A garbage length: we cannot know where the record ends. At the tail it is torn.
        return f"bad length {n}", size if end >= size else end
    if end > size:
        return "incomplete payload", size
    if zlib.crc32(data[off + RECORD.size : end]) != crc:
        return "checksum mismatch", end
    return None


class FileJournal:
    """A ``Journal`` (``exchange.pipeline``) in one append-only file.

    Opening an existing file verifies it (see ``scan``), truncates a torn tail and
    continues after the last good record; ``recovered`` holds what was there.
    """

    def __init__(self, path: str | os.PathLike[str], fsync: FsyncPolicy | str = "always") -> None:
        self.path = Path(path)
        self.policy = FsyncPolicy.parse(fsync) if isinstance(fsync, str) else fsync
        self._note = b""
        self.recovered: list[JournalEntry] = []
        self.notes: dict[int, bytes] = {}
        """Notes of the recovered records, by seq (only non-empty ones)."""
        if self.path.exists():
            found = scan(self.path)
            if found.size > found.good_end:
                with open(self.path, "r+b") as f:
                    f.truncate(found.good_end)
                    os.fsync(f.fileno())
            self.recovered = [e for e, _ in found.records]
            self.notes = {e.seq: n for e, n in found.records if n}
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        self._file = os.fdopen(fd, "ab", buffering=0)
        if self._file.tell() == 0:
            self._file.write(HEADER.pack(MAGIC, VERSION, c.CMD_WIDTH))
            os.fsync(fd)
            _fsync_dir(self.path.parent)
        self._count = len(self.recovered)
        self._last_seq = self.recovered[-1].seq if self.recovered else 0
        self._unsynced = 0
        self._last_sync = time.monotonic()

    # ------------------------------------------------------------ Journal protocol
    def annotate(self, note: bytes) -> None:
        """Attach ``note`` to the next record appended."""
        self._note = note

    def append(self, entry: JournalEntry) -> None:
        """Write ``entry`` (one write call), then fsync as the policy says."""
        if entry.seq != self._last_seq + 1:
            raise ValueError(f"journal seq {entry.seq} follows {self._last_seq}")
        record = encode_record(entry, self._note)
        self._note = b""
        written = self._file.write(record)
        if written != len(record):  # pragma: no cover - a full disk
            raise OSError(f"short journal write: {written} of {len(record)} bytes")
        self._count += 1
        self._last_seq = entry.seq
        self._unsynced += 1
        mode = self.policy.mode
        if mode == "always" or (mode == "batch" and self.sync_due()):
            self.sync()

    def __iter__(self) -> Iterator[JournalEntry]:
        return (e for e, _ in scan(self.path).records)

    def __len__(self) -> int:
        return self._count

    # ------------------------------------------------------------ durability
    def sync_due(self) -> bool:
        """Return whether the batch policy wants an fsync now."""
        if not self._unsynced:
            return False
        p = self.policy
        if p.every and self._unsynced >= p.every:
            return True
        return bool(p.interval_ms) and (time.monotonic() - self._last_sync) * 1e3 >= p.interval_ms

    def sync(self) -> None:
        """fsync everything appended so far."""
        if self._unsynced:
            os.fsync(self._file.fileno())
        self._unsynced = 0
        self._last_sync = time.monotonic()

    def close(self) -> None:
        """fsync and close the file."""
        if not self._file.closed:
            self.sync()
            self._file.close()

    def __enter__(self) -> FileJournal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
