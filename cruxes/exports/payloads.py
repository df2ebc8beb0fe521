"""Worker results carry the voters' user ids (opinion-group membership, the scatter plot's
points). Before a result leaves the server every such id becomes a pseudonym of the
export's scope."""

import re

from .pseudonyms import Pseudonyms

# Keys whose values are user ids (an int or a list of ints), whatever the kind of result:
# voter_id, voter_ids, excluded_voter_ids, user, members... but not counts such as n_voters.
_PERSON_KEY = re.compile(r"^(?:.*_)?(?:voter|user|participant|member)s?(?:_ids?)?$")
_COUNT_KEY = re.compile(r"^(?:n|num|count|total)_|_(?:count|total|size)$")
# Opinion groups' scatter points are positional: [voter id, x, y, group id].
_POSITIONAL_PERSON_LISTS = {"points"}


def _is_person_key(key: str) -> bool:
    key = key.lower()
    return bool(_PERSON_KEY.match(key)) and not _COUNT_KEY.search(key)


def _person(value, pseudonyms: Pseudonyms):
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return pseudonyms.of(value)
    if isinstance(value, str) and value.isdigit():
        return pseudonyms.of(int(value))
    if isinstance(value, list):
        return [_person(item, pseudonyms) for item in value]
    if isinstance(value, dict):
        return {k: _person(v, pseudonyms) for k, v in value.items()}
    return value


def pseudonymize_payload(payload, pseudonyms: Pseudonyms):
    """A copy of a result payload with every user id replaced by its pseudonym."""
    if isinstance(payload, dict):
        cleaned = {}
        for key, value in payload.items():
            key_text = str(key)
            if _is_person_key(key_text):
                # A mapping keyed by voter ids ({"17": group}) has its keys replaced too.
                if isinstance(value, dict) and all(str(k).isdigit() for k in value):
                    cleaned[key_text] = {pseudonyms.of(int(k)): pseudonymize_payload(v, pseudonyms)
                                         for k, v in value.items()}
                else:
                    cleaned[key_text] = _person(value, pseudonyms)
            elif key_text in _POSITIONAL_PERSON_LISTS and isinstance(value, list):
                cleaned[key_text] = [
                    [_person(item[0], pseudonyms), *item[1:]] if isinstance(item, list) and item
                    else pseudonymize_payload(item, pseudonyms)
                    for item in value
                ]
            else:
                cleaned[key_text] = pseudonymize_payload(value, pseudonyms)
        return cleaned
    if isinstance(payload, list):
        return [pseudonymize_payload(item, pseudonyms) for item in payload]
    return payload
