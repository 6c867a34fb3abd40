"""The accounts policy, shared by the portal's pages, its certificates and the LicenseExtractor.

The one implementation lives in the extractor package, which runs on a control panel on its own.
"""

from app.licensing.extractor.policy import PolicyResult, Verdict, accounts_policy, packs_needed

__all__ = ["PolicyResult", "Verdict", "accounts_policy", "packs_needed"]
