"""From chunks to a published dataset: teachers, generation, grounding, dedup, outputs, the store, the CLI."""

import logging

# The command's exit codes (docs/architecture.md, "Exit codes").
EXIT_OK = 0  # every source processed
EXIT_NOTHING = 1  # nothing published: bad run, teacher unreachable, corpus locked
EXIT_USAGE = 2  # a usage or configuration error
EXIT_PARTIAL = 3  # published, but some sources failed or too many pairs were rejected
EXIT_INTERRUPTED = 130  # stopped by Ctrl-C or SIGTERM (128 + SIGINT, as shells report it)

logging.getLogger(__name__).addHandler(logging.NullHandler())
