"""specledger: spec-driven change management for OpenSpec-format repositories."""

from __future__ import annotations

__version__ = "0.1.0"
