"""Incident cards and the Teams side of the incident notifier."""
