"""The quotes back office: quotes (drafts edited line by line, the buttons of each status) and
quote requests."""

from quotes.admin import quotes, requests

__all__ = ["quotes", "requests"]
