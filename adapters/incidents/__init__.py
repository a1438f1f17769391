"""The incident timers bound to their use cases."""
