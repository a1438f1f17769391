"""Reports: how the circle did over a period — incidents, response times, SLAs, on-call load."""
