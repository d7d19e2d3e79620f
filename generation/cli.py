"""The `groundqa` command: parse, build the config, call the library, turn errors into a message and an exit code."""

from __future__ import annotations

import json
import logging
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Optional

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Grounded question-answer data from a knowledge base.")

from generation import EXIT_INTERRUPTED, EXIT_NOTHING, EXIT_OK, EXIT_PARTIAL, EXIT_USAGE
from generation import console as show


def _console(stderr: bool = False):
    return show.console(stderr)


def _fail(message: str, code: int) -> "typer.Exit":
    from rich.markup import escape

    _console(stderr=True).print(f"[red]error:[/red] {escape(message)}", soft_wrap=True)
    return typer.Exit(code)


@contextmanager
def _stdout_guard(code: int, what: str) -> Iterator[None]:
    """Standard output that cannot be written (`groundqa status X > /dev/full`, a log on a full disk, a
    pipe whose reader left): a message on stderr and exit `code`, not a traceback. What is left unwritten
    goes to /dev/null, so that Python's own flush at exit does not fail again."""
    import errno
    import os

    try:
        yield
        sys.stdout.flush()
    except OSError as exc:
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
        except (OSError, ValueError):  # no file descriptor (a test's captured output)
            pass
        why = "its reader closed it" if exc.errno == errno.EPIPE else exc.strerror or str(exc)
        raise _fail(f"{what} could not be written to standard output ({why}); free space, or send it elsewhere", code) from None


@app.callback()
def main(verbose: bool = typer.Option(False, "--verbose", "-v", help="Log what each stage does.")) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    from ingest.sources import LOG_REDACTION

    for handler in logging.getLogger().handlers:  # no URL's credentials in a log line, httpx's own included
        handler.addFilter(LOG_REDACTION)


# -- ingest -----------------------------------------------------------------------------------------
@app.command()
def ingest(
    inputs: list[str] = typer.Argument(..., metavar="PATH_OR_URL...", help="Folders, files or http(s) URLs."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Write the chunks here, one JSON object a line."),
    tokens: int = typer.Option(512, help="Chunk size in tokens."),
    overlap: int = typer.Option(64, help="Tokens each chunk shares with the next."),
    encoding: str = typer.Option("cl100k_base", help="tiktoken encoding."),
    max_bytes: int = typer.Option(200_000_000, help="Skip files larger than this."),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", min=1, help="Extraction worker processes (default: one per core)."),
) -> None:
    """Extract and chunk documents, without a teacher.

    Example: groundqa ingest docs/ https://example.org/page.html --out chunks.jsonl
    """
    from generation.config import CONFIG_NAME, ConfigError, load_corpus
    from generation.outputs.files import NotAFile, user_output
    from ingest.chunking import Chunker, EncodingError
    from ingest.pool import ExtractPool
    from ingest.records import SourceError
    from ingest.read import FileRef, Missing, Ref, UrlRef, read_all
    from ingest.sources import is_url, redact, walk

    try:
        Chunker(tokens, overlap, encoding)  # the settings checked here; the workers build their own
    except (ValueError, EncodingError) as exc:
        raise _fail(str(exc), EXIT_USAGE)

    skipped: list[tuple[str, str]] = []

    def refs() -> Iterator[Ref]:
        for item in inputs:
            path = Path(item)
            if is_url(item):
                yield UrlRef(redact(item), item)
            elif path.is_dir():
                files = walk(path, skipped=skipped)
                if (path / CONFIG_NAME).is_file():  # a corpus folder: what `run` reads, not its config or outputs
                    try:
                        files = load_corpus(path, check_model=False).files(skipped)
                    except ConfigError as exc:
                        raise _fail(str(exc), EXIT_USAGE)
                yield from (FileRef(source_id, file) for source_id, file in files)
            elif path.is_file():
                yield FileRef(item, path)
            else:
                yield Missing(item)

    order: list[tuple[int, str]] = []  # (position, source id): two folders may hold the same relative name
    failures: dict[int, SourceError] = {}

    def to_extract() -> Iterator[tuple[int, Any]]:
        for source_id, raw in read_all(refs(), max_bytes=max_bytes):
            key = len(order)
            order.append((key, source_id))
            if isinstance(raw, SourceError):
                failures[key] = raw
            else:
                yield key, raw

    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    read: dict[int, tuple] = {}
    bar = Progress(SpinnerColumn(), TextColumn("reading: {task.fields[done]} done, {task.fields[failed]} failed"), TimeElapsedColumn(), console=_console(stderr=True), transient=True)
    task = bar.add_task("reading", total=None, done=0, failed=0)
    from contextlib import ExitStack

    stack = ExitStack()
    try:
        sink = stack.enter_context(user_output(out)) if out else None  # a half-read run leaves no half a file
    except NotAFile as exc:
        raise _fail(str(exc), EXIT_USAGE)
    with stack, bar:
        with ExtractPool((tokens, overlap, encoding), jobs=jobs) as pool:
            for key, result in pool.map(to_extract()):
                bar.update(task, done=len(read) + len(failures) + 1, failed=len(failures) + isinstance(result, SourceError))
                if isinstance(result, SourceError):
                    failures[key] = result
                    continue
                source, doc, chunks = result
                read[key] = (source, doc, len(chunks))
                if sink:
                    for chunk in chunks:
                        sink.write(chunk.model_dump_json() + "\n")
    show.ingest_report(order, read, failures, skipped)
    written = sum(n for _, _, n in read.values())
    _console().print(f"{len(read)} read, {len(failures)} failed, {written} chunks" + (f" written to {out}" if out else ""), soft_wrap=True)
    if not read:
        raise typer.Exit(EXIT_NOTHING)
    raise typer.Exit(EXIT_PARTIAL if failures else EXIT_OK)






# -- run --------------------------------------------------------------------------------------------
def _load(corpus: str, model: Optional[str] = None, teacher_urls: Optional[list[str]] = None, strategy: Optional[str] = None, check_model: bool = True):
    from generation.config import ConfigError, load_corpus

    overrides: dict[str, dict[str, Any]] = {}
    if strategy:
        overrides["generation"] = {"strategy": strategy}
    if model:  # the command line's teacher replaces the config's, whichever kind that is
        overrides["teacher"] = {"model": str(Path(model).resolve()), "urls": []}  # relative to where it is typed
    elif teacher_urls:
        overrides["teacher"] = {"model": "", "urls": teacher_urls}
    try:
        loaded = load_corpus(corpus, overrides, check_model=check_model)
    except ConfigError as exc:
        raise _fail(str(exc), EXIT_USAGE)
    return loaded


@app.command()
def run(
    corpus: str = typer.Argument(..., help="A folder (with or without corpus.toml) or a corpus.toml."),
    model: Optional[str] = typer.Option(None, "--model", help="A GGUF file for the in-process llama.cpp teacher."),
    teacher_url: Optional[list[str]] = typer.Option(None, "--teacher-url", help="A llama.cpp server base URL (repeatable)."),
    limit_chunks: Optional[int] = typer.Option(None, "--limit-chunks", min=1, help="Generate for at most N new chunks."),
    strategy: Optional[str] = typer.Option(
        None, "--strategy", help="fact_first (code picks facts, the teacher asks one question each), free_form or auto."
    ),
    allow_retire: bool = typer.Option(
        False, "--allow-retire", help="Retire the pairs of removed sources even when more than \\[sources] max_retire_share are gone."
    ),
    retry_invalid: bool = typer.Option(
        False, "--retry-invalid", help="Ask again now for the chunks whose reply was invalid (else \\[generation] retry_invalid_after runs later)."
    ),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", min=1, help="Extraction worker processes (default: \\[sources] jobs, or one per core)."),
    verify: bool = typer.Option(
        False, "--verify", help="Read and hash every source in full, trusting no file's size, mtime and inode (done every 7th run anyway)."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or summary."),
) -> None:
    """Run the whole pipeline, incrementally: only new or changed chunks go to the teacher.

    Example: groundqa run corpora/example --limit-chunks 2
    """
    from generation.config import ConfigError
    from generation.pipeline.run import Run, RunError
    from generation.pipeline.lock import LockedError
    from generation.pipeline.store import StoreError
    from generation.teachers.base import TeacherError

    loaded = _load(corpus, model, teacher_url, strategy)
    console = _console(stderr=True)
    progress_bar = None
    if not quiet:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        progress_bar = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[detail]}"),
            TimeElapsedColumn(), console=console, transient=True,
        )
        reading = progress_bar.add_task("reading   ", total=None, detail="")
        task = None

        def on_scan(p) -> None:
            progress_bar.update(reading, total=p.total, completed=p.done, detail=f"{p.failed} failed" if p.failed else "")

        def on_progress(p) -> None:
            import time

            nonlocal task
            if task is None:
                task = progress_bar.add_task("generating", total=p.total, detail="")
            elapsed = max(time.perf_counter() - p.started, 1e-6)
            progress_bar.update(task, total=p.total, completed=p.done, detail=f"{p.pairs} pairs, {p.completion_tokens / elapsed:.1f} tok/s")
    else:
        on_progress = on_scan = None  # type: ignore[assignment]
    _on_sigterm()
    try:
        if progress_bar:
            progress_bar.start()
        outcome = Run(
            loaded, limit_chunks=limit_chunks, on_progress=on_progress, on_scan=on_scan, allow_retire=allow_retire,
            retry_invalid=retry_invalid, jobs=jobs, verify=verify,
        ).run()
    except LockedError as exc:
        raise _fail(str(exc), EXIT_NOTHING)
    except ConfigError as exc:
        raise _fail(str(exc), EXIT_USAGE)
    except (RunError, TeacherError, StoreError) as exc:
        raise _fail(str(exc), EXIT_NOTHING)
    except KeyboardInterrupt:
        if progress_bar:
            progress_bar.stop()
        _interrupted(loaded.out_dir / "manifest.json")
    finally:
        if progress_bar:
            progress_bar.stop()
    if not quiet:
        with _stdout_guard(outcome.exit_code, f"the run finished (exit code {outcome.exit_code}), but its summary"):
            show.summary(outcome.manifest, outcome.manifest_path)
    raise typer.Exit(outcome.exit_code)


def _interrupted(manifest_path: Path) -> None:
    """Ctrl-C, SIGTERM or SIGHUP: say what was kept, and leave at once. os._exit, because a teacher call left
    running on a worker thread must not hold the process (nor be freed under it while exiting)."""
    import os

    _console(stderr=True).print(
        "[yellow]interrupted[/yellow]: the chunks finished so far are kept in the store and the published files are "
        f"unchanged; run the same command again to go on. manifest: {manifest_path}",
        soft_wrap=True,
    )
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(EXIT_INTERRUPTED)


def _on_sigterm() -> None:
    """SIGTERM (cron's timeout, systemd, kill) and SIGHUP (the terminal or ssh session closed) stop a run as
    Ctrl-C does: finished work kept, manifest written, exit code 130."""
    import signal

    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    if hasattr(signal, "SIGHUP"):  # not on Windows
        signal.signal(signal.SIGHUP, stop)




@app.command()
def regrade(corpus: str = typer.Argument(..., help="A folder or a corpus.toml.")) -> None:
    """Re-apply the grounding and dedup settings to stored pairs, without generating.

    Example: groundqa regrade corpora/example
    """
    from generation.config import ConfigError
    from generation.pipeline.run import Run, RunError
    from generation.pipeline.lock import LockedError
    from generation.pipeline.store import StoreError
    from generation.teachers.base import TeacherError

    loaded = _load(corpus)
    _on_sigterm()
    try:
        outcome = Run(loaded).regrade()
    except ConfigError as exc:
        raise _fail(str(exc), EXIT_USAGE)
    except (LockedError, RunError, TeacherError, StoreError) as exc:
        raise _fail(str(exc), EXIT_NOTHING)
    except KeyboardInterrupt:
        _interrupted(loaded.out_dir / "manifest.json")
    show.summary(outcome.manifest, outcome.manifest_path)
    raise typer.Exit(outcome.exit_code)


@app.command()
def status(
    corpus: str = typer.Argument(..., help="A folder or a corpus.toml."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON for scripts."),
) -> None:
    """What changed on disk since the last run, what is published, and the last runs.

    Example: groundqa status corpora/example --json
    """
    from generation.config import ConfigError
    from generation.pipeline.status import corpus_status
    from generation.pipeline.store import StoreError

    try:
        report = corpus_status(_load(corpus, check_model=False))
    except ConfigError as exc:
        raise _fail(str(exc), EXIT_USAGE)
    except StoreError as exc:
        raise _fail(str(exc), EXIT_NOTHING)
    with _stdout_guard(EXIT_NOTHING, "the status"):
        show.status(report, as_json)




@app.command()
def export(
    corpus: str = typer.Argument(..., help="A folder or a corpus.toml."),
    fmt: str = typer.Option(..., "--format", "-f", help="alpaca, sharegpt, openai, chatml or pairs."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="File to write (default: standard output)."),
    split: str = typer.Option("all", "--split", help="train, validation or all (the split is by document: \\[output] validation_share)."),
) -> None:
    """Write the published pairs in one format, from the store, without running anything.

    Example: groundqa export corpora/example --format alpaca --out train.jsonl
    """
    import sqlite3

    from generation.outputs.files import NotAFile, json_line, user_output
    from generation.outputs.formats import FORMATS
    from generation.outputs.training import assign_splits, format_records
    from generation.pipeline.store import StoreError, open_store, store_problem
    from generation.records import Pair

    if fmt not in (*FORMATS, "pairs"):
        raise _fail(f"--format {fmt!r} is not one of: {', '.join((*FORMATS, 'pairs'))}", EXIT_USAGE)
    if split not in ("train", "validation", "all"):
        raise _fail(f"--split {split!r} is not one of: train, validation, all", EXIT_USAGE)
    loaded = _load(corpus, check_model=False)
    db = loaded.state_dir / "state.sqlite"
    if not db.is_file():
        raise _fail(f"{loaded.root} has no run yet: run 'groundqa run {corpus}' first", EXIT_NOTHING)
    try:
        store = open_store(db, corpus)
        try:
            pairs = [Pair.model_validate_json(r) for r in store.published_records()]
            titles = store.titles()  # for evidence-first answers
            from generation.pipeline.reviews import pending

            waiting = len(pending(store))  # decisions made in `groundqa review` since the last run
            if waiting:
                _console(stderr=True).print(
                    f"[yellow]note[/yellow]: {waiting} review decisions were made since the last run; they are not in this "
                    f"export yet: 'groundqa run {corpus}' (or 'groundqa regrade {corpus}') publishes them", soft_wrap=True,
                )
        except sqlite3.Error as exc:
            raise store_problem(exc, db, corpus) from exc
        finally:
            store.close()
    except StoreError as exc:
        raise _fail(f"{exc}. The last published set is still in {loaded.out_dir}", EXIT_NOTHING)
    o = loaded.config.output
    pairs = assign_splits(pairs, o.validation_share)
    if split != "all":
        pairs = [p for p in pairs if p.split == split]
    if fmt == "pairs":
        rows = (p.model_dump() for p in pairs)
    else:
        rows = format_records(
            pairs, fmt, system_prompt=o.system_prompt, include_context=o.include_context, turns=o.turns,
            answer_style=o.answer_style, titles=titles,
        )
    if out:
        count = 0
        try:
            with user_output(out) as sink:
                for count, row in enumerate(rows, start=1):
                    sink.write(json_line(row))
        except NotAFile as exc:
            raise _fail(str(exc), EXIT_USAGE)
        _console(stderr=True).print(f"{len(pairs)} pairs ({count} records) written to {out}")
    else:
        with _stdout_guard(EXIT_NOTHING, "the export"):
            for row in rows:
                sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")




@app.command()
def review(
    corpus: str = typer.Argument(..., help="A folder or a corpus.toml."),
    port: Optional[int] = typer.Option(None, "--port", min=1, max=65535, help="Listen on this port (default: a free one)."),
    host: str = typer.Option("127.0.0.1", "--host", help="Listen on this address; anything but 127.0.0.1 lets other machines in (with the token)."),
    no_browser: bool = typer.Option(False, "--no-browser", help="Only print the URL (a browser opens by itself where there is a desktop)."),
    export_to: Optional[Path] = typer.Option(None, "--export", help="Write every decision to this JSONL file, and exit."),
    import_from: Optional[Path] = typer.Option(None, "--import", help="Add the decisions of this JSONL file (the newer decision wins), and exit."),
) -> None:
    """Look at the pairs beside their text in a local web page, and accept, reject or edit them; every later
    run (and regrade) honours the decisions.

    Example: groundqa review corpora/example
    """
    from generation.pipeline.store import StoreError
    from generation.review import ReviewError

    loaded = _load(corpus, check_model=False)
    try:
        if export_to or import_from:
            from generation.review.transfer import export_corpus, import_corpus

            if import_from:
                _console(stderr=True).print(f"{import_corpus(loaded, import_from)} from {import_from}", soft_wrap=True)
            if export_to:
                _console(stderr=True).print(f"{export_corpus(loaded, export_to)} decisions written to {export_to}", soft_wrap=True)
            return
        from generation.review.serve import LOOPBACK, ReviewServer

        server = ReviewServer(loaded, host=host, port=port or 0)
    except (ReviewError, StoreError) as exc:
        raise _fail(str(exc), EXIT_NOTHING)
    console = _console(stderr=True)
    if host not in LOOPBACK:
        console.print(f"[yellow]warning[/yellow]: listening on {host}: anyone who can reach it and has the URL can change decisions", soft_wrap=True)

    def ready(url: str) -> None:
        console.print(f"groundqa review: {loaded.name}, at\n\n    {url}\n\nOpen that URL (it holds the access token). Ctrl-C stops.", soft_wrap=True)

    server.serve_forever(open_browser=not no_browser, on_ready=ready)
