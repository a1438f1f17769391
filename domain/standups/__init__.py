"""Daily stand-ups: private prompts, a live summary card, blockers that keep their age (issue #13)."""
