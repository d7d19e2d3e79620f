"""The run and its stages: scan, generate, assemble; the corpus state store; status."""
