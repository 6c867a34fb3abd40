"""Trials: the customer's request and support's decision."""
