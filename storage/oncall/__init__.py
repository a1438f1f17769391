"""Handovers persisted (rota overrides are core: storage/rota_overrides.py, part of the circle's rota)."""
