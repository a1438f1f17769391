"""The on-call feature in chat: `/oncall`, `/handover`, their card buttons, and its registration."""
