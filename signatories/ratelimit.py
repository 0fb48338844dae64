"""Fixed-window rate limits in the Django cache (shared between processes with Redis).

Limits are keyed by keyed hashes (of the IP, of the canonical address), never raw values.
"""

import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache


class RateLimited(Exception):
    """Too many attempts; `retry_after` is the number of seconds until the window ends."""

    def __init__(self, retry_after: int):
        super().__init__(f"rate limited for {retry_after} s")
        self.retry_after = retry_after

    @property
    def retry_after_minutes(self) -> int:
        return max(1, -(-self.retry_after // 60))


@dataclass(frozen=True)
class Limit:
    bucket: str  # what is counted: "signon" (actions that send email), "code" (code guesses)
    key: str  # a keyed hash identifying who is counted
    allowed: int  # attempts per window; 0 turns the limit off


def rate_limits_take(*limits: Limit) -> None:
    """Count one attempt against each limit; raise RateLimited when any is over.

    Every limit is counted, even after one is found over, so that an attacker spreading
    attempts over many addresses is still counted by IP, and the other way round.
    """
    window = settings.RATE_LIMIT_WINDOW_MINUTES * 60
    now = time.time()
    index = int(now // window)
    retry_after = int((index + 1) * window - now) + 1
    over = False
    for limit in limits:
        if not limit.allowed or not limit.key:
            continue
        key = f"rl:{limit.bucket}:{limit.key[:32]}:{index}"
        cache.add(key, 0, timeout=window + 60)
        try:
            count = cache.incr(key)
        except ValueError:  # evicted between add and incr: count this one as the first
            cache.set(key, 1, timeout=window + 60)
            count = 1
        if count > limit.allowed:
            over = True
    if over:
        raise RateLimited(retry_after)
