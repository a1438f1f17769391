"""On-call and handover cards and the Teams side of the on-call notifier."""
