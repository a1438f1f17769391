"""`/standup`, `/ooo`, the prompt card's buttons, the stand-up timers and the feature's wiring."""
