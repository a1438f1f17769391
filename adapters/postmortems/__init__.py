"""The postmortem timers and outbox deliveries (GitLab documents, tracker issues) bound to their use cases."""
