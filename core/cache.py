"""Django's Redis cache, with one client per connection pool rather than one per call.

Django's `RedisCacheClient.get_client` builds a new `redis.Redis` for every operation, and
building one fills its table of ~170 response callbacks: about a tenth of the CPU a portal
page served from the cache costs (core.page_cache), which makes three or four calls. A
`redis.Redis` is safe to share (the pool hands out connections), and Django keeps a cache
object per thread.
"""

from __future__ import annotations

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class ReusedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient
