"""Helpers shared by the test layers: Stripe payloads, a private localstripe, licensing factories."""
