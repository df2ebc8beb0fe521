"""Reading is public and writing needs an account (DRF's IsAuthenticatedOrReadOnly, which
the schema generator also understands); one's own rows (votes, endorsements) need an account
even to read (IsAuthenticated). Whether an account may change a particular object is the
write layer's decision: it raises PermissionDenied → 403."""

from rest_framework.permissions import IsAuthenticated, IsAuthenticatedOrReadOnly

ReadPublicWriteSignedIn = IsAuthenticatedOrReadOnly
SignedIn = IsAuthenticated
