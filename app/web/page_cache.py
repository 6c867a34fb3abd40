"""Pages drawn once per change: a customer's My licenses is kept until something it shows changes.

The database counts every change to a customer's licenses, certificates, orders and trial
requests (``records_versions``, kept by triggers: migration 0014), and every signed-in request
loads that count with the user. A drawn page is kept under the count, the user's role and
confirmation, and the browser's session and CSRF token (the page's forms carry the token), so a
payment, a support action or any other write shows at the next request, in every worker.

What time alone changes, the view says when it draws the page: the page is kept until then (a
trial's next day or its end, an open order leaving the week shown). ``PAGE_CACHE_SECONDS`` bounds
how long any page is kept (0 turns the cache off). Each worker process keeps its own pages, at
most ``PAGE_CACHE_SIZE``; the least recently used go first.
"""

import threading
from datetime import UTC, datetime

from cachetools import TTLCache
from flask import current_app, request, session
from flask_login import current_user


class PageCache:
    def __init__(self, size, seconds):
        self._pages = TTLCache(maxsize=size, ttl=seconds) if size and seconds else None
        self._lock = threading.Lock()

    def page(self, draw):
        """This browser's page of this endpoint while it is current, else ``draw()``'s.

        ``draw()`` returns the page and the moment time alone changes it (None: never).
        """
        if self._pages is None or "_flashes" in session:
            return draw()[0]  # a flashed message is shown once: such a page is not kept
        key = _key()
        if key is not None:
            with self._lock:
                kept = self._pages.get(key)
            if kept is not None and (kept[1] is None or datetime.now(UTC) < kept[1]):
                return kept[0]
        body, until = draw()
        key = _key()  # drawing the page may have given the session its CSRF token
        if key is not None:
            with self._lock:
                self._pages[key] = (body, until)
        return body


def _key():
    version = getattr(current_user, "records_version", None)
    if version is None:
        return None
    return (
        request.endpoint,
        current_user.id,
        version,
        current_user.role,
        current_user.is_confirmed,
        current_user.sign_in_key,
        session.get("csrf_token"),
    )


def init_app(app):
    app.extensions["page_cache"] = PageCache(app.config["PAGE_CACHE_SIZE"], app.config["PAGE_CACHE_SECONDS"])


def cached_page(draw):
    """``draw()``'s page for the signed-in customer, drawn again only when what it shows has changed."""
    return current_app.extensions["page_cache"].page(draw)
