"""Assertions later issues reuse."""

from __future__ import annotations

from contextlib import contextmanager

from django.db import connection
from django.test.utils import CaptureQueriesContext


def assert_hidden_from_outsiders(world, path: str, *, method: str = "get", data=None) -> None:
    """`path` shows an object of alice's customer at acme. Alice reaches it (so this check can
    fail); bob (same tenant, other customer) and charlie (other tenant, on his own host) get 404."""
    send = lambda user: getattr(world.client(user), method)(path, data or {})  # noqa: E731
    owner = send(world.alice)
    assert owner.status_code in (200, 302), f"alice should reach {path}, got {owner.status_code}"
    for outsider in (world.bob, world.charlie):
        response = send(outsider)
        assert response.status_code == 404, (
            f"{outsider.email} got {response.status_code} for {method.upper()} {path}"
        )


@contextmanager
def assert_max_queries(n: int):
    """Query counts, not timings: list pages must stay flat as rows grow."""
    with CaptureQueriesContext(connection) as ctx:
        yield ctx
    executed = len(ctx.captured_queries)
    assert executed <= n, f"{executed} queries (allowed {n}):\n" + "\n".join(
        q["sql"] for q in ctx.captured_queries
    )
