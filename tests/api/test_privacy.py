"""No payload names a voter. Every API response and every export is searched for each user's
username and email (anywhere in the text) and user id (in identifier positions: JSON values
under person-like keys, CSV person columns), after a discussion with signed and unsigned
reasons, endorsements, crux links, an opinion-group result and an imported Polis conversation."""

import csv
import io
import json
import re
import zipfile

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from cruxes.exports import streams
from cruxes.exports.polis import FILES, PolisSource, import_polis
from cruxes.models import AnalysisResult
from cruxes.services.claims import crux_link_create, reason_endorse_toggle, vote_cast
from tests.api.conftest import token_client
from tests.factories import UserFactory, make_comment

pytestmark = pytest.mark.django_db

PERSON_KEYS = re.compile(r"^(?:.*_)?(?:user|voter|author|participant|member|signer|linked_by|created_by|"
                         r"owner|by)(?:s|_id|_ids|-id)?$", re.IGNORECASE)


def _payloads_of(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def person_values(document, key=None):
    """Every value sitting under a person-like key, anywhere in a JSON document."""
    if isinstance(document, dict):
        for k, v in document.items():
            yield from person_values(v, str(k))
    elif isinstance(document, list):
        for item in document:
            yield from person_values(item, key)
    elif key is not None and PERSON_KEYS.match(key):
        yield document


def identifiers(content: bytes, content_type: str) -> set[str]:
    """Values in identifier positions, as text."""
    text = content.decode("utf-8")
    found: set[str] = set()
    if "json" in content_type:
        lines = text.splitlines() if "ndjson" in content_type else [text]
        for line in lines:
            if line.strip():
                found |= {str(v) for v in person_values(json.loads(line))}
    elif "csv" in content_type:
        rows = list(csv.reader(io.StringIO(text)))
        if rows:
            header = rows[0]
            if header and header[0] == "topic":  # Polis summary.csv: key,value rows
                return found
            columns = [i for i, name in enumerate(header) if PERSON_KEYS.match(name)]
            for row in rows[1:]:
                found |= {row[i] for i in columns if i < len(row)}
    return found


@pytest.fixture
def busy_site(owner, stranger, discussion, tmp_path):
    third = UserFactory(first_name="", last_name="")
    signer = UserFactory(first_name="Grace", last_name="Signer")
    reply = make_comment(thread=discussion["thread"], author=third, body="Third person's comment.")
    vote_cast(user=signer, claim=discussion["span"], stance="agree", reason="Signed reason.", reason_signed=True)
    vote_cast(user=third, claim=reply.claims.get(is_whole=True), stance="unsure")
    reason_endorse_toggle(user=third, vote=discussion["stranger_vote"])
    crux_link_create(user=third, claim=discussion["span"], rests_on=reply.claims.get(is_whole=True))
    AnalysisResult.objects.create(
        thread=discussion["thread"], kind=AnalysisResult.Kind.OPINION_GROUPS, subject_id=discussion["thread"].pk,
        version=1, fingerprint="x", computed_at=timezone.now(),
        payload={"k": 1, "groups": [{"group_id": 0, "voter_ids": [owner.pk, stranger.pk, signer.pk]}],
                 "points": [[owner.pk, 0.1, 0.2, 0], [signer.pk, 0.3, 0.1, 0]], "excluded_voter_ids": [third.pk]})
    # A small Polis conversation: imported people get usernames too.
    (tmp_path / "comments.csv").write_text("timestamp,comment-id,author-id,moderated,comment-body\n"
                                           "1,0,0,1,First statement\n2,1,1,1,Second statement\n")
    (tmp_path / "votes.csv").write_text("timestamp,comment-id,voter-id,vote\n3,0,1,1\n4,1,0,-1\n5,1,2,0\n")
    (tmp_path / "summary.csv").write_text("topic,Tiny\nurl,https://pol.is/tinyconvo\n")
    imported = import_polis(source=PolisSource(tmp_path), author=owner)
    return {"third": third, "signer": signer, "imported": imported.thread}


def all_responses(api, clients, discussion, imported_thread):
    thread_ids = [discussion["thread"].pk, imported_thread.pk]
    paths = ["/api/threads/", "/api/comments/", "/api/claims/", "/api/reasons/", "/api/candidate-reasons/",
             "/api/crux-links/", "/api/analysis/", "/api/hotspots/", "/api/themes/", "/api/opinion-groups/",
             "/api/crux-candidates/", "/api/export/site.json"]
    for name in streams.DATASETS:
        paths += [f"/api/export/{name}.csv", f"/api/export/{name}.ndjson"]
    for thread_id in thread_ids:
        paths += [f"/api/threads/{thread_id}/", f"/api/threads/{thread_id}/tree/",
                  f"/api/threads/{thread_id}/export.json", f"/api/threads/{thread_id}/polis.zip"]
        paths += [f"/api/threads/{thread_id}/polis/{name}" for name in FILES]
        for name in streams.DATASETS:
            paths += [f"/api/threads/{thread_id}/export/{name}.csv", f"/api/threads/{thread_id}/export/{name}.ndjson"]
    own = ["/api/votes/", "/api/endorsements/"]
    for client in [api, *clients]:
        for path in paths + (own if client is not api else []):
            response = client.get(path, {"page_size": 500} if not path.startswith("/api/export") and
                                  "/export" not in path and "polis" not in path else {})
            assert response.status_code == 200, path
            content = _payloads_of(response)
            content_type = response["Content-Type"]
            if content_type == "application/zip":
                archive = zipfile.ZipFile(io.BytesIO(content))
                for member in archive.namelist():
                    yield f"{path}:{member}", archive.read(member), "text/csv"
            else:
                yield path, content, content_type
        # Detail pages of every listed row too.
        for listing in ["/api/comments/", "/api/claims/", "/api/reasons/", "/api/crux-links/", "/api/analysis/"]:
            for row in client.get(listing, {"page_size": 500}).json()["results"]:
                response = client.get(f"{listing}{row['id']}/")
                yield f"{listing}{row['id']}/", response.content, response["Content-Type"]


def test_no_payload_reveals_who_anyone_is(api, owner, stranger, discussion, busy_site):
    clients = [token_client(owner), token_client(stranger), token_client(busy_site["third"])]
    people = list(get_user_model().objects.all())
    assert len(people) == 7  # owner, stranger, third, signer and three imported Polis participants
    checked, person_fields = 0, 0
    for where, content, content_type in all_responses(api, clients, discussion, busy_site["imported"]):
        checked += 1
        text = content.decode("utf-8").lower()
        ids_here = identifiers(content, content_type)
        person_fields += len(ids_here)
        for person in people:
            assert person.username.lower() not in text, (where, person.username)
            if person.email:
                assert person.email.lower() not in text, (where, person.email)
            assert str(person.pk) not in ids_here, (where, person.pk)
    assert checked > 150
    assert person_fields > 100  # pseudonyms were found where ids would have been
    # The signed reason shows the signer's name; the unsigned ones show none.
    reasons = {r["text"]: r for r in api.get("/api/reasons/").json()["results"]}
    assert reasons["Signed reason."]["signer_name"] == "Grace Signer"
    assert reasons["The hedge hides the claim."]["signer_name"] is None


def test_the_leak_search_would_catch_a_leak(owner):
    """The identifier search is not vacuous: a user id under a person key is found."""
    leaked = json.dumps({"results": [{"voter": owner.pk}]}).encode()
    assert str(owner.pk) in identifiers(leaked, "application/json")
    leaked_csv = f"claim,voter\n1,{owner.pk}\n".encode()
    assert str(owner.pk) in identifiers(leaked_csv, "text/csv")
    polis_csv = f"timestamp,datetime,comment-id,voter-id,vote\n1,x,2,{owner.pk},1\n".encode()
    assert str(owner.pk) in identifiers(polis_csv, "text/csv")
