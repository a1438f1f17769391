"""GitLab through python-gitlab: activity issues, notes and labels, and the webhook that keeps us in step."""
