"""Stand-ups in Teams: cards and the notifier (issue #13)."""
