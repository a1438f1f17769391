"""The alert webhooks (Alertmanager, Grafana): routes, payload parsing, and the ingest delivery."""
