"""Archiving a change: plan (pure: old texts + deltas -> new texts) and apply (crash-safe writes)."""
