"""The job pipeline: the run context recipes drive, the stages records pass (a module per
stage kind, with its spec: stages.py says how to add one), the sink."""
