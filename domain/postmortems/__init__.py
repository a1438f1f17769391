"""Postmortem rules: the document, corrective actions, review and blameless wording, reminders."""
