"""Reads for reports: the facts of incidents, postmortems and handovers, one query per kind."""
