"""Monitoring alerts: what a notification says, and how alert groups declare and update incidents."""
