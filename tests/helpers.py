"""Assertions later issues reuse."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

import pytest
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


def assert_hidden_from_other_tenants(world, path: str) -> None:
    """For pages every customer of a tenant may see (its terms, its catalogue): alice and bob
    reach them, charlie — another tenant's customer, on his own host — gets 404."""
    for insider in (world.alice, world.bob):
        response = world.client(insider).get(path)
        assert response.status_code == 200, f"{insider.email} got {response.status_code}"
    assert world.client(world.charlie).get(path).status_code == 404


@contextmanager
def assert_max_queries(n: int):
    """Query counts, not timings: list pages must stay flat as rows grow."""
    with CaptureQueriesContext(connection) as ctx:
        yield ctx
    executed = len(ctx.captured_queries)
    assert executed <= n, f"{executed} queries (allowed {n}):\n" + "\n".join(
        q["sql"] for q in ctx.captured_queries
    )


def admin_form_data(response, **overrides) -> dict:
    """What the browser would POST back for an admin add/change page as it stands (fields and
    every inline's management form), with `overrides` applied; `None` removes a key."""
    data: dict = {}

    def put(prefix: str, form) -> None:
        for bound in form:
            value = bound.value()
            key = f"{prefix}{bound.name}"
            if isinstance(value, bool):
                if value:
                    data[key] = "on"
            elif value is not None:
                data[key] = value

    put("", response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        put(f"{formset.prefix}-", formset.management_form)
        for form in formset.initial_forms:
            put(f"{form.prefix}-", form)
    for key, value in overrides.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def pdf_text(content: bytes) -> str:
    """The PDF's text as poppler's `pdftotext` reads it (CI installs poppler-utils)."""
    import os
    import shutil
    import subprocess

    if shutil.which("pdftotext") is None:  # only outside CI
        if os.environ.get("CI") == "true":
            raise RuntimeError("pdftotext (poppler-utils) is required under CI=true")
        import io

        from pypdf import PdfReader

        return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    pdftotext = shutil.which("pdftotext")
    done = subprocess.run(  # noqa: S603 — fixed arguments, the PDF on stdin
        [pdftotext, "-layout", "-enc", "UTF-8", "-", "-"],
        input=content,
        capture_output=True,
        check=True,
        timeout=30,
    )
    return done.stdout.decode()


@dataclass(frozen=True)
class PdfWord:
    text: str
    x_min: float
    y_min: float
    x_max: float
    y_max: float


def pdf_words(content: bytes) -> tuple[float, list[PdfWord]]:
    """The first page's width and its words with their boxes, in points (`pdftotext -bbox`);
    skips the test where poppler is missing (never under CI: bin/test installs it)."""
    import html
    import re
    import shutil
    import subprocess

    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        pytest.skip("pdftotext (poppler-utils) is needed to read word positions")
    done = subprocess.run(  # noqa: S603 — fixed arguments, the PDF on stdin
        [pdftotext, "-bbox", "-f", "1", "-l", "1", "-enc", "UTF-8", "-", "-"],
        input=content,
        capture_output=True,
        check=True,
        timeout=30,
    )
    out = done.stdout.decode()
    width = float(re.search(r'<page width="([\d.]+)"', out).group(1))
    words = [
        PdfWord(html.unescape(text), float(x0), float(y0), float(x1), float(y1))
        for x0, y0, x1, y1, text in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>',
            out,
        )
    ]
    return width, words
