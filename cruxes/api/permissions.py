from rest_framework.permissions import SAFE_METHODS, BasePermission


class ReadPublicWriteSignedIn(BasePermission):
    """Reading is public; any write needs an account. Whether the account may change this
    particular object is the write layer's decision (it raises PermissionDenied → 403)."""

    def has_permission(self, request, view) -> bool:
        return request.method in SAFE_METHODS or bool(request.user and request.user.is_authenticated)


class SignedIn(BasePermission):
    """For one's own rows (votes, endorsements): even reading needs an account."""

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated)
