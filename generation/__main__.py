"""`python -m generation` is the `groundqa` command."""

from generation.cli import app

if __name__ == "__main__":  # extraction workers import the main module again: it must not run the command
    app(prog_name="groundqa")
