"""Encryption of what Temporal stores, and the codec server operators' Web UI decodes with."""
