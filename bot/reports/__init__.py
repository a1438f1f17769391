"""Teams side of reports: the report card."""
