"""Billing: what accounts cost, and taking payment for them through Stripe.

``pricing`` is pure arithmetic; ``gateway`` is the only module that talks to
Stripe (or localstripe in development and tests) and hands back plain values.
"""
