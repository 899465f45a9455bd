// Placeholder: filled in by the MQTTLink work.
