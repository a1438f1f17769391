"""Alert groups persisted: which open incident each group of alerts follows."""
