"""Runbooks in Teams: cards and the notifier."""
