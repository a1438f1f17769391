"""Runbooks: the cached GitLab library, outbox and timer handlers, and the CLI check."""
