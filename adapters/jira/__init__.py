"""Jira: the issue tracker client and the incident outbox deliveries that drive it."""
