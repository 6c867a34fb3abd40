"""The ISO 3166 country list that billing details choose from (pycountry's, in English)."""

from functools import cache

import pycountry


@cache
def countries():
    """(code, name) of every ISO 3166-1 country, by name."""
    return sorted(((c.alpha_2, c.name) for c in pycountry.countries), key=lambda pair: pair[1])


def country_name(code):
    """``"DE"`` is "Germany"; an unknown code is returned as it is."""
    return dict(countries()).get(code, code or "")
