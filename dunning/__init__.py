"""The dunning domain core: contract models, policy and pure decision functions.

Nothing in this package performs I/O or imports Temporal, so every rule can be read,
tested and replayed on its own.
"""
