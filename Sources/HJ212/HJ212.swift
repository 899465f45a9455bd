// Placeholder: filled in by the HJ212 work.
