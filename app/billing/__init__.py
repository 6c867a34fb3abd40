"""Billing: what accounts cost, taking payment for them through Stripe, and what a payment does.

``pricing`` is pure arithmetic; ``gateway`` is the only module that talks to
Stripe (or localstripe, which stands in for it) and hands back plain values.
``orders`` places orders and records payment attempts, ``customers`` keeps
each customer's Stripe Customer, and ``fulfilment`` turns a payment, refund
or dispute into license changes exactly once. ``refund_claims`` keeps each
refund attempt as a row claimed before Stripe is asked, and ``refunding``
applies it once, from the console or Stripe's report. ``views`` and ``webhooks`` are
the web side, ``commands`` the ``flask billing`` commands.
"""
