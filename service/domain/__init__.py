"""Domain types and rules: job specs, job state, the review's rules, the problem-type
catalogue, as msgspec Structs and functions; no I/O and no HTTP here."""
