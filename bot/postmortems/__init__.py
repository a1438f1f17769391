"""Postmortem cards and the Teams side of the postmortem notifier."""
