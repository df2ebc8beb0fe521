"""Sign up, log in, log out, password change: Django's auth with our pages."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from tests.factories import DEFAULT_PASSWORD, UserFactory, make_thread

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a different passphrase 9"


def signed_in_username(client) -> str | None:
    response = client.get(reverse("cruxes:thread_list"))
    user = response.wsgi_request.user
    return user.username if user.is_authenticated else None


def test_sign_up_logs_in_and_follows_next(client):
    thread = make_thread()
    page = client.get(reverse("signup") + f"?next=/t/{thread.pk}/")
    assert page.status_code == 200 and f'name="next" value="/t/{thread.pk}/"' in page.content.decode()
    response = client.post(reverse("signup"), {
        "username": "fresh", "email": "", "password1": "a long enough passphrase 42",
        "password2": "a long enough passphrase 42", "next": f"/t/{thread.pk}/",
    })
    assert response.status_code == 302 and response["Location"] == f"/t/{thread.pk}/"
    assert signed_in_username(client) == "fresh"


def test_sign_up_ignores_offsite_next(client):
    response = client.post(reverse("signup"), {
        "username": "fresh2", "password1": "a long enough passphrase 42",
        "password2": "a long enough passphrase 42", "next": "https://evil.example/",
    })
    assert response.status_code == 302 and response["Location"] == reverse("cruxes:thread_list")


@pytest.mark.parametrize("data, message", [
    ({"username": "x", "password1": "a long enough passphrase 42", "password2": "different 42 passphrase"},
     "fields didn"),
    ({"username": "x", "password1": "123", "password2": "123"}, "too short"),
    ({"username": "", "password1": "a long enough passphrase 42", "password2": "a long enough passphrase 42"},
     "This field is required"),
    ({"username": "taken", "password1": "a long enough passphrase 42", "password2": "a long enough passphrase 42"},
     "already exists"),
])
def test_sign_up_errors_are_shown(client, data, message):
    UserFactory(username="taken")
    response = client.post(reverse("signup"), data)
    assert response.status_code == 400
    assert message in response.content.decode().replace("&#x27;", "'")
    assert get_user_model().objects.count() == 1
    assert signed_in_username(client) is None


def test_signed_in_user_visiting_sign_up_is_redirected(client, user):
    client.force_login(user)
    assert client.get(reverse("signup")).status_code == 302


def test_log_in_and_out(client, user):
    page = client.get(reverse("login"))
    assert page.status_code == 200 and "Log in" in page.content.decode()
    bad = client.post(reverse("login"), {"username": user.username, "password": "wrong"})
    assert bad.status_code == 200 and "correct username and password" in bad.content.decode()
    response = client.post(reverse("login"), {"username": user.username, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("cruxes:thread_list")
    header = client.get(reverse("cruxes:thread_list")).content.decode()
    assert f'href="/u/{user.username}/"' in header and 'action="/accounts/logout/"' in header
    assert client.post(reverse("logout")).status_code == 302
    assert signed_in_username(client) is None


def test_password_change(client, user):
    client.force_login(user)
    form = client.get(reverse("password_change"))
    assert form.status_code == 200 and "Change your password" in form.content.decode()
    wrong = client.post(reverse("password_change"), {
        "old_password": "nope", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert wrong.status_code == 200 and "incorrectly" in wrong.content.decode()
    response = client.post(reverse("password_change"), {
        "old_password": DEFAULT_PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("password_change_done")
    assert "Password changed" in client.get(reverse("password_change_done")).content.decode()
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert signed_in_username(client) == user.username  # session kept after the change


def test_password_change_needs_login(client):
    response = client.get(reverse("password_change"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
