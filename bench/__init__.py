"""`make bench`: what a case costs, how many the system holds, how fast it moves.

Every figure is a count, or a ratio against a baseline measured in the same run on the
same server: the machines are shared and noisy.
"""
