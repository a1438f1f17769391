"""The on-call timers bound to their use cases, and the planning of every circle's rota timers."""
