"""Imported once by the extraction workers' fork server (ingest.pool): the extractors and the default
tiktoken encoding are loaded there, so each worker forked from it starts with them in memory instead of
spending half a second importing them.

The Office readers' libraries (python-docx, python-pptx, openpyxl: about a second together) are loaded
too. The OCR engine is not: onnxruntime's thread pools do not survive a fork, and most runs never meet
a scanned page, so a worker loads it the first time it needs it (about 2 s).
"""

import importlib

from ingest import chunking

for module in ("pymupdf", "trafilatura", "lxml.html", "docx", "pptx", "openpyxl", "ingest.readers", "ingest.sources"):
    try:
        importlib.import_module(module)
    except ImportError:  # a library that is missing fails in the worker that needs it, where it is reported
        pass

try:
    chunking.load_encoding("cl100k_base")
except Exception:  # an encoding that cannot load here fails in the worker, where it is reported
    pass
