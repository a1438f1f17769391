"""Runbooks storage: the cached runbook copies and the drills."""
