"""Incidents, their timelines and links, persisted."""
