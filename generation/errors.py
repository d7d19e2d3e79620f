"""The errors that end a run with exit code 1 (the CLI turns them into a message)."""


class RunError(RuntimeError):
    """The run cannot go on (teacher unreachable, output not writable). Exit code 1."""


class RetirementRefused(RunError):
    """Too many sources with published pairs are gone at once: the dataset is kept (SourceScan.guard_retirement)."""

    kind = "mass_retirement"
