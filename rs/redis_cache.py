"""Django's Redis cache with one client per connection pool, and the raw access that one-round-trip counters need.

Django's RedisCacheClient builds a new `redis.Redis` for every cache call; each construction fills a table of ~200
response callbacks (≈ 0.1 ms of CPU), several times per request. A `redis.Redis` is thread-safe (it takes a
connection from its pool per command), so one per pool is kept. Pipelines and scripts (rs.subscriptions.quotas) go
through `raw_client()` with the cache's own key function and serializer, so what they write reads back through the
ordinary cache calls.
"""

from __future__ import annotations

from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient

BACKEND = "rs.redis_cache.RedisCache"


class RedisCacheClient(DjangoRedisCacheClient):
    def __init__(self, servers: list[str], **options: Any) -> None:
        super().__init__(servers, **options)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        django: Any = self  # the private members of Django's client, which the stubs do not describe
        index = django._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            pool = django._get_connection_pool(write)
            client = self._clients.setdefault(index, django._client(connection_pool=pool))
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient

    @property
    def _client(self) -> Any:
        django: Any = self  # Django's RedisCache._cache (a cached property the stubs do not describe)
        return django._cache

    def raw_client(self) -> Any:
        """The redis.Redis of the writable server (pipelines and scripts)."""
        return self._client.get_client(write=True)

    def raw_key(self, key: str) -> str:
        return self.make_and_validate_key(key)

    def encode(self, value: object) -> Any:
        return self._client._serializer.dumps(value)

    def decode(self, raw: bytes | None) -> Any:
        return None if raw is None else self._client._serializer.loads(raw)

    def script(self, source: str) -> Any:
        """A registered Lua script (EVALSHA, loaded again by redis-py if the server lost it)."""
        scripts: dict[str, Any] = self.__dict__.setdefault("_scripts", {})
        found = scripts.get(source)
        if found is None:
            found = scripts.setdefault(source, self.raw_client().register_script(source))
        return found
