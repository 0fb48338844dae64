"""Rate limits count the same in every cache; with Redis, in one round trip."""

import os

import pytest
from django.core.cache import caches

from signatories.ratelimit import Limit, RateLimited, rate_limits_take

REDIS_URL = os.environ.get("RATELIMIT_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")


@pytest.fixture(params=["locmem", "redis"])
def cache_backend(request, settings):
    if request.param == "redis":
        redis = pytest.importorskip("redis")
        try:
            redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
        except redis.RedisError:
            pytest.skip("Redis does not answer on 127.0.0.1")
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": REDIS_URL,
                # Keys of this test only, whatever else shares the database.
                "KEY_PREFIX": f"ratelimit-test-{os.getpid()}",
            }
        }
    yield request.param
    if request.param == "redis":
        client = caches["default"]._cache.get_client(write=True)
        for key in client.scan_iter(f"ratelimit-test-{os.getpid()}:*"):
            client.delete(key)


def test_each_limit_counts_every_attempt_and_refuses_past_its_number(cache_backend, settings):
    settings.RATE_LIMIT_WINDOW_MINUTES = 60
    by_ip, by_address = Limit("signon", "ip-hash-a", 3), Limit("signon", "address-b", 5)
    for _ in range(3):
        rate_limits_take(by_ip, by_address)
    with pytest.raises(RateLimited) as limited:
        rate_limits_take(by_ip, by_address)
    assert 0 < limited.value.retry_after <= 3600 + 1
    # The refused attempt was counted against the address too: one more and it is over.
    rate_limits_take(by_address)
    with pytest.raises(RateLimited):
        rate_limits_take(by_address)
    # Another IP is not affected; a limit of 0 is off.
    rate_limits_take(Limit("signon", "ip-hash-c", 3), Limit("signon", "ip-hash-a", 0))


@pytest.mark.parametrize("cache_backend", ["redis"], indirect=True)
def test_redis_counters_expire_after_their_window(cache_backend, settings):
    settings.RATE_LIMIT_WINDOW_MINUTES = 1
    rate_limits_take(Limit("code", "someone", 10))
    backend = caches["default"]
    client = backend._cache.get_client(write=True)
    keys = list(client.scan_iter(f"ratelimit-test-{os.getpid()}:*rl:code:someone:*"))
    assert len(keys) == 1
    assert 0 < client.ttl(keys[0]) <= 60 + 60
    assert backend.get(keys[0].decode().split(":", 2)[2]) == 1
