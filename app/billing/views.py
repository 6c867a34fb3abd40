"""Ordering, paying and the order pages."""

from flask import Blueprint

bp = Blueprint("billing", __name__)
