"""Activities in chat: `/activity …`, the card buttons, and the feature's wiring."""
