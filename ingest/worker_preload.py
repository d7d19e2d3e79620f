"""Imported once by the extraction workers' fork server (ingest.pool): the extractors and the default
tiktoken encoding are loaded there, so each worker forked from it starts with them in memory instead of
spending half a second importing them.

The fork server is the workers' parent, and lives as long as any of them (each holds its "alive" pipe):
here it asks to be killed when the run that started it dies, so that the workers' own parent-death
signal fires and none is left running after a kill -9 of the run (ingest.pool._die_with_parent)."""

import pymupdf
import trafilatura

from ingest import chunking, readers, sources
from ingest.pool import parent_death_signal

PRELOADED = (pymupdf, trafilatura, chunking, readers, sources)
parent_death_signal()

try:
    chunking.load_encoding("cl100k_base")
except Exception:  # an encoding that cannot load here fails in the worker, where it is reported
    pass
