"""Reports outside chat: the dashboard tab under /tabs/ (access, SVG charts, CSV), signed links, Prometheus."""
