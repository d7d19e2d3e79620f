"""Imported once by the extraction workers' fork server (ingest.pool): the extractors and the default
tiktoken encoding are loaded there, so each worker forked from it starts with them in memory instead of
spending half a second importing them."""

import pymupdf
import trafilatura

from ingest import chunking, readers, sources

PRELOADED = (pymupdf, trafilatura, chunking, readers, sources)

try:
    chunking.load_encoding("cl100k_base")
except Exception:  # an encoding that cannot load here fails in the worker, where it is reported
    pass
