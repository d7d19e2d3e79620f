"""From chunks to a published dataset: teachers, generation, grounding, dedup, outputs, the store, the CLI."""

import logging

logging.getLogger(__name__).addHandler(logging.NullHandler())
