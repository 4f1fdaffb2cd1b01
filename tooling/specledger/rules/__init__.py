"""Semantic and cross-file rules: what a JSON Schema cannot say. Each returns findings."""
