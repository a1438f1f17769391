"""`/report`: the circle's report card in chat."""
