"""The command line behind `starter.py`."""
