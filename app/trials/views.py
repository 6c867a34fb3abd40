"""The customer's trial request pages."""

from flask import Blueprint

bp = Blueprint("trials", __name__)
