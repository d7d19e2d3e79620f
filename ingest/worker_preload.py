"""Imported once by the extraction workers' fork server (ingest.pool): the extractors and the default
tiktoken encoding are loaded there, so each worker forked from it starts with them in memory instead of
spending half a second importing them.

The fork server is the workers' parent, and lives as long as any of them (each holds its "alive" pipe):
here it asks to be killed when the run that started it dies, so that the workers' own parent-death
signal fires and none is left running after a kill -9 of the run (ingest.pool._die_with_parent).

The Office readers' libraries (python-docx, python-pptx, openpyxl: about a second together) are loaded
too. The OCR engine is not: onnxruntime's thread pools do not survive a fork, and most runs never meet
a scanned page, so a worker loads it the first time it needs it (about 2 s).
"""

import importlib

from ingest import chunking
from ingest.pool import parent_death_signal

for module in ("pymupdf", "trafilatura", "lxml.html", "docx", "pptx", "openpyxl", "ingest.readers", "ingest.sources"):
    try:
        importlib.import_module(module)
    except ImportError:  # a library that is missing fails in the worker that needs it, where it is reported
        pass
parent_death_signal()

try:
    chunking.load_encoding("cl100k_base")
except Exception:  # an encoding that cannot load here fails in the worker, where it is reported
    pass
