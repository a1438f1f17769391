"""GitLab through python-gitlab: the postmortem documents' repository and merge requests; activity issues,
notes and labels, and the webhook that keeps activities in step."""
