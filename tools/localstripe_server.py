"""Run localstripe, the Stripe stand-in, for development and tests.

    python tools/localstripe_server.py --port 8420 \
        [--webhook-url http://127.0.0.1:5000/webhooks/stripe --webhook-secret whsec_...]

Differences from running ``python -m localstripe``:

- it listens on 127.0.0.1 only;
- its store lives in memory only: localstripe would otherwise pickle every
  write to a fixed ``/tmp/localstripe.pickle``, shared by every instance on the
  machine and slower as it grows;
- it honours the ``Idempotency-Key`` header the way Stripe does (localstripe
  ignores it), so that "nothing is charged twice" can be tested: a repeated
  POST with the same key and body gets the first answer again, with the header
  ``Idempotent-Replayed: true``; the same key with another body gets
  Stripe's 400 ``idempotency_error``.

``register_webhook()`` tells a running instance where to deliver events.
"""

import argparse
import asyncio
import hashlib
import logging
import sys
import urllib.parse
import urllib.request

from aiohttp import web

DEFAULT_PORT = 8420
WEBHOOK_ID = "portal"

# Stripe saves the result of a request once the endpoint ran: successes, card
# declines and server errors. Validation failures (400), authentication (401)
# and conflicts (409) are not saved, so a corrected retry may reuse the key.
_UNSAVED_STATUSES = frozenset({400, 401, 409, 429})


def register_webhook(base_url, url, secret, *, webhook_id=WEBHOOK_ID, events=None):
    """Ask the localstripe at ``base_url`` to sign and POST its events to ``url``.

    ``events`` limits delivery to those event types (all types when None).
    Registering the same ``webhook_id`` again replaces the earlier endpoint.
    """
    fields = [("url", url), ("secret", secret)]
    fields += [("events[]", event_type) for event_type in events or ()]
    request = urllib.request.Request(
        f"{base_url.rstrip('/')}/_config/webhooks/{urllib.parse.quote(webhook_id)}",
        data=urllib.parse.urlencode(fields).encode(),
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()


def _keep_store_in_memory(resources):
    resources.Store.dump_to_disk = lambda store: None
    resources.Store.try_load_from_disk = lambda store: None


def _idempotency_middleware():
    saved = {}
    locks = {}

    def conflict(key):
        body = {
            "error": {
                "type": "idempotency_error",
                "message": (
                    "Keys for idempotent requests can only be used with the same "
                    "parameters they were first used with. Try using a key other "
                    f"than '{key}' if you meant to execute a different request."
                ),
            }
        }
        return web.json_response(body, status=400)

    @web.middleware
    async def replay_idempotent_requests(request, handler):
        if request.method == "DELETE" and request.path == "/_config/data":
            saved.clear()  # localstripe forgets everything; so do we
        key = request.headers.get("Idempotency-Key")
        if request.method != "POST" or not key:
            return await handler(request)
        scope = (request.headers.get("Authorization", ""), key)
        # aiohttp keeps the body it read, so the handler can read it again.
        fingerprint = hashlib.sha256(request.path_qs.encode() + b"\0" + await request.read()).hexdigest()
        async with locks.setdefault(scope, asyncio.Lock()):
            if scope in saved:
                saved_fingerprint, status, body = saved[scope]
                if saved_fingerprint != fingerprint:
                    return conflict(key)
                return web.Response(
                    body=body,
                    status=status,
                    content_type="application/json",
                    headers={"Idempotent-Replayed": "true"},
                )
            response = await handler(request)
            if response.status not in _UNSAVED_STATUSES and response.body is not None:
                saved[scope] = (fingerprint, response.status, response.body)
            return response

    return replay_idempotent_requests


def build_app(*, webhook_url=None, webhook_secret=None):
    """localstripe's aiohttp application, with the changes listed above."""
    # Imported here: importing localstripe builds its app and store, which
    # callers of register_webhook() have no use for.
    from localstripe import resources, server, webhooks

    _keep_store_in_memory(resources)
    # Outermost, so that it sees localstripe's errors as finished responses.
    server.app.middlewares.insert(0, _idempotency_middleware())
    if webhook_url:
        webhooks.register_webhook(WEBHOOK_ID, webhook_url, webhook_secret, None)
    return server.app


def _parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--webhook-url", help="deliver every event to this URL")
    parser.add_argument("--webhook-secret", help="sign deliveries with this secret")
    parser.add_argument("--quiet", action="store_true", help="no access log")
    args = parser.parse_args(argv)
    if bool(args.webhook_url) != bool(args.webhook_secret):
        parser.error("--webhook-url and --webhook-secret go together")
    return args


def main(argv=None):
    args = _parse_args(argv)
    app = build_app(webhook_url=args.webhook_url, webhook_secret=args.webhook_secret)
    access_log = None
    if not args.quiet:
        access_log = logging.getLogger("aiohttp.access")
        access_log.setLevel(logging.INFO)
        access_log.addHandler(logging.StreamHandler())
    print(f"localstripe on http://127.0.0.1:{args.port}", file=sys.stderr, flush=True)
    web.run_app(app, host="127.0.0.1", port=args.port, access_log=access_log, print=None)


if __name__ == "__main__":
    main()
