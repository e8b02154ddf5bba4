"""Game codes: six characters a class can read off a projector without confusion.

The alphabet leaves out 0/O, 1/I/L and U/V, so a code read aloud or written on a board
has one spelling. 29 letters and digits, six places: about 5.9e8 codes.
"""

from __future__ import annotations

import random
from collections.abc import Container

ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"
LENGTH = 6
_TRIES = 1_000


def new_code(taken: Container[str], rng: random.Random | None = None) -> str:
    """Return a code not in ``taken``; raise ``RuntimeError`` after 1,000 collisions."""
    pick = rng or random.SystemRandom()
    for _ in range(_TRIES):
        code = "".join(pick.choice(ALPHABET) for _ in range(LENGTH))
        if code not in taken:
            return code
    raise RuntimeError("no free game code found")


def normalise(code: str) -> str:
    """Return ``code`` as typed by a student, upper-cased and stripped of blanks."""
    return code.strip().upper()


def is_code(text: str) -> bool:
    """Return whether ``text`` is spelled like a game code (it may still name no game)."""
    return len(text) == LENGTH and all(ch in ALPHABET for ch in text)
