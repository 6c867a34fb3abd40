"""Contact support: who may ask for support until when, and the messages customers send."""
