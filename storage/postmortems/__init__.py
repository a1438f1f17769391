"""Postmortems and their corrective actions, persisted."""
