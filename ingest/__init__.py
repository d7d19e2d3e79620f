"""Everything before the teacher: discover sources, extract text, normalize it, cut token chunks.

Pure functions of bytes -> Document -> Chunk. Nothing here keeps state or calls a teacher.
"""

import logging

logging.getLogger(__name__).addHandler(logging.NullHandler())
