"""The incident feature in chat: `/incident`, its card buttons, and its registration (feature.py)."""
