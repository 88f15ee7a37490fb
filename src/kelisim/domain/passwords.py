"""Whether a staff password is too easy to guess (ASVS 5.0 6.2.4, 6.2.11, 6.2.12; NIST 800-63B).

Length alone let `aaaaaaaaaaaa` and `123456789012` through. Two checks are added, both offline:
* a list of 30,000 common passwords shipped as package data
(src/kelisim/domain/data/common-passwords.txt, from
  zxcvbn's MIT-licensed list of the most frequent passwords in a public 10-million corpus),
  compared case-insensitively and also with trailing digits and symbols taken off (`dragon2026!`);
* zxcvbn's estimate of guesses (the PyPI port of Dropbox's estimator): it sees repeats,
  sequences, keyboard walks, dates, l33t spellings and dictionary words, so a rule of "score 3
  or more" (about 10^8 guesses, out of reach of an online attack and slow offline against
  argon2id) refuses patterns a home-made rule would miss. The account's own name is one of the
  words it knows. Only the first 100 characters are scored: zxcvbn is quadratic in the length,
  and 100 characters that pass are strong whatever follows.
Domain code: no Flask.
"""

from __future__ import annotations

import re
from functools import cache
from importlib.resources import files

from zxcvbn import zxcvbn

__all__ = ["MIN_SCORE", "is_common", "is_guessable"]

MIN_SCORE = 3
_SCORED_LENGTH = 100
_TRAILING = re.compile(r"[\d\W_]+$")


@cache
def _common() -> frozenset[str]:
    text = files("kelisim.domain").joinpath("data/common-passwords.txt").read_text(encoding="utf-8")
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line and not line.startswith("#")
    )


def is_common(password: str) -> bool:
    lowered = password.strip().lower()
    common = _common()
    return lowered in common or _TRAILING.sub("", lowered) in common


def is_guessable(password: str, *context: str) -> bool:
    """True when zxcvbn scores it below MIN_SCORE, given words such as the username."""
    words = [word for word in context if word]
    return zxcvbn(password[:_SCORED_LENGTH], user_inputs=words)["score"] < MIN_SCORE
