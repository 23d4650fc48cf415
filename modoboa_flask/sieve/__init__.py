"""Sieve filters: the rule model (rules.py) and the ManageSieve connection (client.py)."""
