"""Everything a run publishes: the training formats (formats/, one module a format), the training files
and splits (training.py), the dataset card and trainer configs (card.py), report.md (report.py) and
coverage (coverage.py), written whole (files.py) and published as one set (publish.py)."""
