"""`groundqa review CORPUS`: a local web page to look at the data before training on it, and to accept,
reject or edit pairs; the decisions are kept in the store and honoured by every later run
(generation/pipeline/reviews.py has the rules). docs/decisions.md, "Review", says why it is built so.

- data.py: what the page shows, read from the store as the last run left it (the page never runs a stage);
- service.py: the reviewer's actions (decide, undo, re-check an edit) and the counts that move as one works;
- charts.py: the report's figures as inline SVG; app.py: the Starlette app, its pages and the access token;
- serve.py: the local server (127.0.0.1, a random port, the token in the URL it prints), and the browser;
- transfer.py: decisions to and from a JSONL file, to review on one machine and run on another.
"""


class ReviewError(RuntimeError):
    """The review cannot start or a decisions file cannot be read; the message says how to fix it."""
