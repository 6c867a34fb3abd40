"""License certificates, signing keys, license codes and the accounts policy; no web framework here."""
