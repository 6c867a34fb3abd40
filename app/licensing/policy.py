"""The accounts policy, shared by the portal's pages, its certificates and the LicenseExtractor.

The one implementation lives in the extractor, which must stay a standalone file.
"""

from app.licensing.extractor import PolicyResult, Verdict, accounts_policy, packs_needed

__all__ = ["PolicyResult", "Verdict", "accounts_policy", "packs_needed"]
