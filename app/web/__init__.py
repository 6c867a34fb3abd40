"""What views share: the services built from the configuration and the lookups of a request's records.

Blueprints import from here; nothing here imports a blueprint or a domain package that imports it back.
"""
