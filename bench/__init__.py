"""`make bench`: the portal measured against a bare Flask baseline in the same run (docs/performance.md)."""
