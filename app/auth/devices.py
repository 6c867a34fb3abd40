"""A readable name for the browser of a sign-in session, from its User-Agent (ua-parser's rules)."""

from functools import lru_cache

from ua_parser import parse

VAGUE_DEVICES = {"Other", "Spider", "Mac"}  # a family that adds nothing to the system's name


@lru_cache(maxsize=512)
def device_name(user_agent):
    """E.g. "Chrome 120 on Windows", "Mobile Safari 17 on iOS (iPhone)"; the raw string when unknown."""
    found = parse(user_agent or "")
    browser = found.user_agent
    if browser is None or browser.family == "Other":
        return (user_agent or "").strip()[:60] or "Unknown device"
    name = f"{browser.family} {browser.major}" if browser.major else browser.family
    system = found.os
    if system is not None and system.family != "Other":
        name += f" on {system.family}"
    device = found.device
    if device is not None and device.family not in VAGUE_DEVICES:
        name += f" ({device.family})"
    return name
