"""On-call rules over the circle's rota: who is on now and next, overrides and swaps, handovers."""
