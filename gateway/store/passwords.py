"""Password hashing (argon2id), start passwords, and the password policy.

Policy after NIST SP 800-63B-4 for single-factor accounts: 15–128 characters of
any Unicode, no truncation, no composition rules; refused when it is the example
phrase shown on the form, holds the login or a part of it, is a common password
(also with digits or punctuation added around or inside it), is guessable
(zxcvbn, which knows common-password lists, keyboard walks and sequences) or is
built from the resident's own context (name, street, house number, cooperative)
in any combination.
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

MIN_LENGTH = 15
MAX_LENGTH = 128
# No 0/O, 1/l/I, 5/S, 2/Z, 8/B: read off a paper slip and typed by an elderly resident.
START_ALPHABET = "acdefghjkmnpqrstuvwxy34679"
START_GROUPS = 4
START_GROUP_LEN = 4
# The example printed under the form: the one phrase everybody who reads it knows.
EXAMPLE_PHRASE = "zielona łąka nad Wartą o świcie"


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


def canonical_start(typed: str) -> str | None:
    """A start password as typed from the paper slip, in the form it was issued:
    upper or lower case, spaces or dashes anywhere ('KQ7M R3XA…', 'kq7mr3xa…').
    None when it cannot be one (then it is checked as typed)."""
    plain = "".join(ch for ch in typed.lower() if ch not in " -\u00a0\t\u2010\u2011\u2013")
    size = START_GROUP_LEN
    if len(plain) != START_GROUPS * size or any(ch not in START_ALPHABET for ch in plain):
        return None
    return "-".join(plain[i:i + size] for i in range(0, len(plain), size))


def fold(text: str) -> str:
    """Lower case without diacritics: 'Żółć' -> 'zolc' (ł has no decomposition)."""
    text = unicodedata.normalize("NFKD", text.casefold()).replace("ł", "l")
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def _common_passwords() -> frozenset[str]:
    text = resources.files("gateway.store").joinpath("data/common-passwords.txt").read_text("utf-8")
    return frozenset(fold(line.strip()) for line in text.splitlines()
                     if line.strip() and not line.startswith("#"))


COMMON = _common_passwords()
# Their letters and digits only, longest first: the ones a longer password may wrap.
COMMON_LONG = sorted({re.sub(r"[\W_]+", "", w) for w in COMMON} - {""}, key=len, reverse=True)
EXAMPLE_ALNUM = re.sub(r"[\W_]+", "", fold(EXAMPLE_PHRASE))


def context_words(*texts: str | None) -> list[str]:
    """Words of at least 3 letters from login, names, street, cooperative."""
    words: set[str] = set()
    for text in texts:
        for word in re.split(r"[^\w]+", fold(text or "")):
            word = word.strip("_")
            if len(word) >= 3 and not word.isdigit():
                words.add(word)
    return sorted(words, key=len, reverse=True)


def _alnum(text: str) -> str:
    return re.sub(r"[\W_]+", "", text)


def _letters(text: str) -> str:
    return re.sub(r"[\W\d_]+", "", text)


def login_parts(login: str | None) -> list[str]:
    """The login and its parts as they may hide in a password: 'm1-k7wq' gives
    'm1k7wq' and 'k7wq' (with their digits); a part's letters alone count from four
    ('pelargonia7' gives 'pelargonia'; 'm1-ar47' does not make 'mar' of 'marcu')."""
    folded = fold(login or "")
    split = [p for p in re.split(r"[\W_]+", folded) if len(p) >= 3]
    parts = {_alnum(folded), *split} | {_letters(p) for p in split if len(_letters(p)) >= 4}
    return sorted((p for p in parts if len(p) >= 3), key=len, reverse=True)


def _is_common(folded: str) -> bool:
    """A common password, also with digits or punctuation added ('qwerty123!!!',
    '!!zaq12wsxcde3', 'haslo2024haslo' stays caught by zxcvbn)."""
    alnum, letters = _alnum(folded), _letters(folded)
    candidates = {folded, alnum, alnum.strip("0123456789"), alnum.rstrip("0123456789"),
                  alnum.lstrip("0123456789")}
    if len(letters) >= 6:
        candidates.add(letters)
    if any(c in COMMON for c in candidates if c):
        return True
    # A common password that is most of it: what is left is a few digits or signs.
    return any(len(word) >= 6 and word in alnum and len(alnum) - len(word) <= 6
               and not _letters(alnum.replace(word, "", 1)) for word in COMMON_LONG)


def _built_from(text: str, words: list[str]) -> tuple[bool, int]:
    """Whether any of `words` is in `text`, and how much of `text` the words leave."""
    rest, used = text, False
    for word in words:
        if word and word in rest:
            used = True
            rest = rest.replace(word, "")
    return used, len(rest)


def policy_problems(password: str, *, context: list[str], start_password_hash: str | None = None,
                    hasher: PasswordHasher | None = None, login: str | None = None,
                    numbers: list[str] | None = None) -> list[str]:
    """Reasons (in Polish) why this new password is refused; empty = accepted.

    `context` are the resident's words (context_words), `numbers` the house and
    flat numbers (a house number next to the street name is still the address).
    """
    if len(password) < MIN_LENGTH:
        return [f"Hasło musi mieć co najmniej {MIN_LENGTH} znaków (ma {len(password)})."]
    if len(password) > MAX_LENGTH:
        return [f"Hasło może mieć najwyżej {MAX_LENGTH} znaków."]
    if start_password_hash and hasher and verify(hasher, start_password_hash, password):
        return ["Nowe hasło nie może być hasłem startowym otrzymanym w spółdzielni."]
    folded = fold(password)
    alnum, letters = _alnum(folded), _letters(folded)
    if EXAMPLE_ALNUM in alnum:
        return ["To jest przykład podany pod formularzem — każdy, kto go przeczytał, "
                "zna to hasło. Wymyśl własne słowa."]
    if any(part in alnum for part in login_parts(login)):
        return ["Hasło nie może zawierać Twojego loginu ani jego części."]
    if _is_common(folded):
        return ["To hasło jest na liście popularnych haseł, które łatwo odgadnąć."]
    words = sorted(set(context) | {_letters(w) for w in context if len(_letters(w)) >= 3},
                   key=len, reverse=True)
    digits = sorted({_alnum(fold(n)) for n in numbers or [] if _alnum(fold(n))},
                    key=len, reverse=True)
    used_letters, rest_letters = _built_from(letters, words)
    used_alnum, rest_alnum = _built_from(alnum, [_alnum(w) for w in words] + digits)
    if (used_letters and rest_letters < 6) or (used_alnum and rest_alnum < 6):
        return ["Hasło jest zbudowane z Twojego loginu, imienia, nazwiska, ulicy, numeru domu "
                "lub nazwy spółdzielni. Wybierz coś, czego nie da się z nich odgadnąć."]
    if len(set(folded)) <= 3:
        return ["Hasło składa się z powtarzających się znaków."]
    from zxcvbn import zxcvbn  # imported late: its dictionaries take a moment to load

    # zxcvbn raises ValueError above 72 characters; scoring a 72-character prefix is enough.
    result = zxcvbn(password[:72], user_inputs=context)
    if result["score"] < 3:
        return ["Hasło jest zbyt łatwe do odgadnięcia (popularne słowo, sekwencja klawiszy "
                "lub prosty wzór). Najlepiej użyć kilku niepowiązanych słów, które "
                "tylko Ty ze sobą łączysz."]
    return []
