"""Thin I/O: one module per provider, each a class holding its injected client."""
