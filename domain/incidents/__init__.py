"""Incidents' rules: the model, its use cases (service) and their effects, SLAs, postmortem triggers, report."""
