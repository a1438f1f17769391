"""Activities in Teams: the cards and the notifier that queues them."""
