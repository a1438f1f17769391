"""The stand-up timers bound to their use cases, on the unit of work the timer tick hands them."""
