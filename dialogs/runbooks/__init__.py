"""Runbooks in chat: `/runbook`, `/drill`, their card buttons, the desk and the feature."""
