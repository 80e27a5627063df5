"""The clock's pure parts: work calendars and schedule maths (no I/O, injectable instants)."""
