"""Activities in the database: the activity rows and their daily feedback."""
