"""The job pipeline: the run context recipes drive, the stages records pass, the sink."""
