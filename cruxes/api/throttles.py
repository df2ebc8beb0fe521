from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle


class WriteRateThrottle(SimpleRateThrottle):
    """Limits writes (POST/PUT/PATCH/DELETE) per account, or per address for anonymous
    attempts; reads are never throttled here. Rate: DEFAULT_THROTTLE_RATES["writes"]."""

    scope = "writes"

    def get_rate(self):
        # Read at request time (not import time) so the setting can change in tests.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view):
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            ident = request.user.pk
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
