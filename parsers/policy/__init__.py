"""Pure decisions over records: clustering mentions into real-world events, what deserves an alert."""
