"""Activities: the GitLab issues engineers work on, one at a time, with daily feedback (handbook, "Activities")."""
