"""Dialects: per-backend SQL syntax, type names and capability flags."""

from .base import Dialect

__all__ = ["Dialect"]
