"""Password hashing (argon2id), start passwords, and the password policy.

Policy after NIST SP 800-63B: 12–128 characters of any Unicode, no
truncation, no composition rules; refused when common, guessable (zxcvbn,
which knows common-password lists, keyboard walks and sequences) or built
from the resident's own context (login, name, street, cooperative).
"""

from __future__ import annotations

import os
import re
import secrets
import threading
import unicodedata
from importlib import resources
from typing import Any, Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 12
MAX_LENGTH = 128
# No 0/O, 1/l/I, 5/S, 2/Z, 8/B: read off a paper slip and typed by an elderly resident.
START_ALPHABET = "acdefghjkmnpqrstuvwxy34679"
START_GROUPS = 4
START_GROUP_LEN = 4


class BoundedHasher(PasswordHasher):
    """An argon2id hasher that runs at most `slots` hashes at once.

    Each hash holds memory_cost (64 MiB by default) while it runs: a burst of
    logins on the morning rent notices go out otherwise multiplies that by the
    number of worker threads, while the cores can only hash a few at a time.
    Each hash already keeps `parallelism` cores busy, so more slots than
    cores / parallelism only add memory, not speed.
    """

    def __init__(self, *args: Any, slots: int = 2, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._slots = threading.BoundedSemaphore(slots)

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        with self._slots:
            return super().hash(password, salt=salt)

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:  # noqa: A002
        with self._slots:
            return super().verify(hash, password)


def make_hasher(time_cost: int = 3, memory_kib: int = 65536, parallelism: int = 2
                ) -> PasswordHasher:
    slots = max(1, min(4, (os.cpu_count() or 1) // parallelism))
    return BoundedHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism,
                         slots=slots)


def verify(hasher: PasswordHasher, stored: str, password: str) -> bool:
    try:
        return hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def start_password() -> str:
    """Random, readable start password: 'kq7m-r3xa-...' (~75 bits)."""
    groups = ("".join(secrets.choice(START_ALPHABET) for _ in range(START_GROUP_LEN))
              for _ in range(START_GROUPS))
    return "-".join(groups)


def fold(text: str) -> str:
    """Lower case without diacritics: 'Żółć' -> 'zolc' (ł has no decomposition)."""
    text = unicodedata.normalize("NFKD", text.casefold()).replace("ł", "l")
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def _common_passwords() -> frozenset[str]:
    text = resources.files("gateway.store").joinpath("data/common-passwords.txt").read_text("utf-8")
    return frozenset(fold(line.strip()) for line in text.splitlines()
                     if line.strip() and not line.startswith("#"))


COMMON = _common_passwords()


def context_words(*texts: str | None) -> list[str]:
    """Words of at least 3 letters from login, names, street, cooperative."""
    words: set[str] = set()
    for text in texts:
        for word in re.split(r"[^\w]+", fold(text or "")):
            word = word.strip("_")
            if len(word) >= 3 and not word.isdigit():
                words.add(word)
    return sorted(words, key=len, reverse=True)


def policy_problems(password: str, *, context: list[str], start_password_hash: str | None = None,
                    hasher: PasswordHasher | None = None) -> list[str]:
    """Reasons (in Polish) why this new password is refused; empty = accepted."""
    if len(password) < MIN_LENGTH:
        return [f"Hasło musi mieć co najmniej {MIN_LENGTH} znaków (ma {len(password)})."]
    if len(password) > MAX_LENGTH:
        return [f"Hasło może mieć najwyżej {MAX_LENGTH} znaków."]
    if start_password_hash and hasher and verify(hasher, start_password_hash, password):
        return ["Nowe hasło nie może być hasłem startowym otrzymanym w spółdzielni."]
    folded = fold(password)
    letters = re.sub(r"[\W\d_]+", "", folded)
    if folded in COMMON or letters in COMMON and len(letters) >= 6:
        return ["To hasło jest na liście popularnych haseł, które łatwo odgadnąć."]
    rest = letters
    used = []
    for word in context:
        if word in rest:
            used.append(word)
            rest = rest.replace(word, "")
    if used and len(rest) < 6:
        return ["Hasło jest zbudowane z Twojego loginu, imienia, nazwiska, ulicy lub nazwy "
                "spółdzielni. Wybierz coś, czego nie da się z nich odgadnąć."]
    if len(set(folded)) <= 3:
        return ["Hasło składa się z powtarzających się znaków."]
    from zxcvbn import zxcvbn  # imported late: its dictionaries take a moment to load

    # zxcvbn raises ValueError above 72 characters; scoring a 72-character prefix is enough.
    result = zxcvbn(password[:72], user_inputs=context)
    if result["score"] < 3:
        return ["Hasło jest zbyt łatwe do odgadnięcia (popularne słowo, sekwencja klawiszy "
                "lub prosty wzór). Najlepiej użyć kilku niepowiązanych słów, np. "
                "„zielona łąka nad Wartą o świcie”."]
    return []
