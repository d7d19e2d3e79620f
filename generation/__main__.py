"""`python -m generation` is the `groundqa` command."""

from generation.cli import app

app(prog_name="groundqa")
