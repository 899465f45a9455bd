// Placeholder: filled in by the Uplink work.
