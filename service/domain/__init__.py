"""Domain types: job specs, job state and records as msgspec Structs; no I/O here."""
