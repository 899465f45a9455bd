// Placeholder: filled in by the ParkLink work.
