"""The machine API a control panel talks to: JSON under /api/v1/, bearer tokens, stable error codes."""
