"""The postmortem feature in chat: `/postmortem`, its card buttons, and its registration (feature.py)."""
