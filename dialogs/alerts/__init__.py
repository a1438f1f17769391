"""The alerts feature's registration: the webhook routes and the ingest delivery (no chat of its own yet)."""
