"""Pseudonymous ids for people in exports and API payloads.

A pseudonym is HMAC-SHA256(key, user id) truncated, where the key is derived from
SECRET_KEY and the export *scope* (a thread, the whole site, ...). Within one scope the
same person always gets the same pseudonym, so an analyst can join votes to votes; across
scopes the pseudonyms are unrelated, so two exports can't be linked, and without the
secret nobody can go from a pseudonym back to the account.
"""

import hashlib
import hmac
from functools import lru_cache

from django.conf import settings

# 64 bits: collisions are negligible below billions of people.
HEX_CHARS = 16
# Polis ids are integers; 53 bits stay exact in JavaScript and in float64 columns.
POLIS_INT_BITS = 53

SITE_SCOPE = "site"
AUTHOR_SCOPE = "authors"


def thread_scope(thread_id: int) -> str:
    return f"thread:{int(thread_id)}"


def _scope_key(scope: str) -> bytes:
    return hmac.new(settings.SECRET_KEY.encode(), f"cruxes-pseudonym-scope:{scope}".encode(), hashlib.sha256).digest()


class Pseudonyms:
    """Maps user ids to pseudonyms for one scope. Cheap to call per row: results are cached
    in a bounded LRU so memory stays flat on a million-row export."""

    def __init__(self, scope: str, *, cache_size: int = 65_536):
        self.scope = scope
        key = _scope_key(scope)
        template = hmac.new(key, digestmod=hashlib.sha256)

        def digest(user_id: int) -> bytes:
            mac = template.copy()
            mac.update(str(int(user_id)).encode())
            return mac.digest()

        @lru_cache(maxsize=cache_size)
        def as_text(user_id: int) -> str:
            return digest(user_id).hex()[:HEX_CHARS]

        @lru_cache(maxsize=cache_size)
        def as_int(user_id: int) -> int:
            return int.from_bytes(digest(user_id)[:8], "big") >> (64 - POLIS_INT_BITS)

        self.of = as_text
        self.polis_id = as_int

    def __call__(self, user_id: int | None) -> str | None:
        return None if user_id is None else self.of(user_id)


@lru_cache(maxsize=256)
def for_scope(scope: str) -> Pseudonyms:
    return Pseudonyms(scope)


def display_name(first_name: str, last_name: str, pseudonym: str) -> str:
    """What others see for a signed reason or an author: the person's name if they gave one,
    else a handle derived from their pseudonym. Never the username (a login identifier)."""
    name = f"{first_name or ''} {last_name or ''}".strip()
    return name or f"Member {pseudonym[:6]}"
