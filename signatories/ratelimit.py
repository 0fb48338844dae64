"""Fixed-window rate limits in the Django cache (shared between processes with Redis).

Limits are keyed by keyed hashes (of the IP, of the canonical address), never raw values.
"""

import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.redis import RedisCache


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
    counted = [limit for limit in limits if limit.allowed and limit.key]
    keys = [f"rl:{limit.bucket}:{limit.key[:32]}:{index}" for limit in counted]
    counts = _count(keys, timeout=window + 60)
    if any(count > limit.allowed for count, limit in zip(counts, counted, strict=True)):
        raise RateLimited(retry_after)


def _count(keys: list[str], *, timeout: int) -> list[int]:
    """Add one to each counter (made with `timeout` when missing); their new values."""
    if not keys:
        return []
    backend = caches[DEFAULT_CACHE_ALIAS]
    if isinstance(backend, RedisCache):
        # One round trip for all counters: Django's add() and incr() take three for each,
        # and on every sign-on those waits were a tenth of the request. (A key's window is
        # in its name, so renewing its expiry never carries a count into the next window.)
        client = backend._cache.get_client(write=True)
        with client.pipeline(transaction=False) as pipe:
            for key in keys:
                redis_key = backend.make_and_validate_key(key)
                pipe.incr(redis_key)
                pipe.expire(redis_key, timeout)
            return pipe.execute()[::2]
    counts = []
    for key in keys:
        cache.add(key, 0, timeout=timeout)
        try:
            counts.append(cache.incr(key))
        except ValueError:  # evicted between add and incr: count this one as the first
            cache.set(key, 1, timeout=timeout)
            counts.append(1)
    return counts
