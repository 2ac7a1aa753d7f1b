// Placeholder replaced by the fuzz target.
