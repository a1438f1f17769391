"""Stand-ups as stored: entries per member and day, blockers, time off, the day's summary state."""
