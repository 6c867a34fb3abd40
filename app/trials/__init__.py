"""30-day trials: the customer's request and support's decision."""
