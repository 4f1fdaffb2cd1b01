"""Artifact readers: markdown documents -> the typed model."""
