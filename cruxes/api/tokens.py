"""Creating and revoking one's API token from the profile page (HTML form posts)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from rest_framework.authtoken.models import Token


def _back(request) -> HttpResponseRedirect:
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        target = "/"
    return HttpResponseRedirect(target)


@transaction.atomic
def token_rotate(user) -> Token:
    """A fresh token for `user`; any previous one stops working at once."""
    Token.objects.filter(user=user).delete()
    return Token.objects.create(user=user)


def token_revoke(user) -> bool:
    deleted, _ = Token.objects.filter(user=user).delete()
    return bool(deleted)


@require_POST
@login_required
def api_token_create(request):
    token_rotate(request.user)
    messages.success(request, "New API token created. Any earlier token no longer works.")
    return _back(request)


@require_POST
@login_required
def api_token_revoke(request):
    if token_revoke(request.user):
        messages.success(request, "API token revoked.")
    return _back(request)
