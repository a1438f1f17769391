"""GitLab: the postmortem documents' repository and merge requests."""
