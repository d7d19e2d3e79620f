"""corpus.toml as pydantic models. Every key is optional; unknown keys and bad values are errors that
name the key, its value and what is allowed."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Annotated, Any, Iterator, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator, model_validator

from generation.grounding import GroundingConfig
from generation.outputs.formats import FORMATS
from generation.outputs.shards import DOCUMENTS_PER_SHARD
from generation.strategies import AUTO, STRATEGIES
from generation.teachers.base import TeacherError
from generation.teachers.llama import check_gguf, default_model_path, trained_context
from ingest.read import DEFAULT_FETCH_BUDGET
from ingest.records import SourceError
from ingest.sources import DEFAULT_MAX_BYTES, read_file, walk

CONFIG_NAME = "corpus.toml"
# The most a urls_file may hold: 16 MiB is 160,000 URLs of 100 characters, far past what one night
# fetches. Past it the file is refused (a /dev/zero or a runaway sync would grow memory without end).
MAX_URLS_FILE_BYTES = 16 * 1024 * 1024
# The longest [teacher] timeout: a day. A reply that takes longer is a hung server, and larger numbers
# overflow the platform's timers (1e10 s was an OverflowError).
MAX_TEACHER_TIMEOUT = 86_400.0


class ConfigError(ValueError):
    """A corpus.toml (or command-line setting) that cannot be used. The message says what to change."""


def _integral(value: Any) -> Any:
    """5e7 is how TOML writes a large whole number: taken as the int it is; 2.5 or "512" are not."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


Integer = Annotated[int, BeforeValidator(_integral)]


def _format_name(name: str) -> str:
    if name not in FORMATS:
        raise ValueError(f"not a training format; choose from {', '.join(FORMATS)}")
    return name


FormatName = Annotated[str, AfterValidator(_format_name)]


class Section(BaseModel):
    # strict: "512" for a number or "yes" for a boolean is a mistake to name, not to guess at;
    # no inf or nan: `timeout = inf` is not a number of seconds.
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class SourcesConfig(Section):
    paths: list[str] = ["**/*"]
    exclude: list[str] = []
    urls: list[str] = []
    urls_file: str | None = None
    max_bytes: Integer = Field(DEFAULT_MAX_BYTES, gt=0)
    retire_failed_after: Integer = Field(3, ge=1)
    # A run that would retire the pairs of more than this share of the sources with published pairs (a
    # folder that did not mount, an empty urls_file) keeps the dataset and exits 1: see Run.guard_retirement.
    max_retire_share: float = Field(0.5, ge=0.0, le=1.0)
    # Extraction runs in worker processes (ingest/pool.py): how many (None: one per core), and what one
    # document may take before it is a failure (extract_timeout, extract_crashed) and the run goes on.
    jobs: Integer | None = Field(None, ge=1, le=1024)
    extract_timeout: float = Field(300.0, gt=0, le=86_400)
    extract_memory_mb: Integer = Field(4096, ge=256)
    # Seconds the run may wait for web pages in all (ingest/read.py): the pages not fetched when they are
    # spent are `fetch_budget` failures, fetched again on the next run.
    fetch_budget: float = Field(DEFAULT_FETCH_BUDGET, gt=0, le=86_400)
    # PDF pages without a text layer are read by OCR (ingest/ocr.py), each within ocr_page_seconds.
    ocr: bool = True
    ocr_page_seconds: float = Field(60.0, gt=0, le=3600)

    @field_validator("urls")
    @classmethod
    def _web_urls(cls, urls: list[str]) -> list[str]:
        for url in urls:
            problem = url_problem(url)
            if problem:
                raise ValueError(f"{url!r} {problem}")
        return urls


class ChunkingConfig(Section):
    tokens: Integer = Field(512, ge=16)
    overlap: Integer = Field(64, ge=0)
    encoding: str = "cl100k_base"

    @model_validator(mode="after")
    def _overlap_below_tokens(self) -> "ChunkingConfig":
        if self.overlap >= self.tokens:
            raise ValueError(f"overlap = {self.overlap} must be less than tokens = {self.tokens}")
        return self


class TeacherConfig(Section):
    model: str | None = None  # a GGUF path; None and no urls = the embedded default
    urls: list[str] = []
    api_key_env: str | None = None
    server_model: str | None = None  # the "model" field sent to a server, where it serves several
    slots: Integer | None = Field(None, ge=1)  # requests in flight per URL when /props does not say
    n_ctx: Integer = Field(4096, ge=256, le=1 << 20)  # and not above the model's trained context (load_corpus)
    n_threads: Integer | None = Field(None, ge=1)  # in-process: None = the free cores (generation/teachers/threads.py)
    n_gpu_layers: Integer = 0
    max_tokens: Integer = Field(768, ge=16)
    temperature: float = Field(0.7, ge=0.0, le=2.0)
    seed: Integer = 0
    timeout: float = Field(300.0, gt=0)  # seconds for one whole reply from a server (generation/teachers/http.py)
    retries: Integer = Field(3, ge=0)

    @field_validator("urls")
    @classmethod
    def _http_urls(cls, urls: list[str]) -> list[str]:
        for url in urls:
            if url_problem(url):
                raise ValueError(f"{url!r} is not an http(s) base URL such as http://127.0.0.1:8080")
        return [u.rstrip("/") for u in urls]

    @field_validator("timeout")
    @classmethod
    def _bounded_timeout(cls, seconds: float) -> float:
        if seconds > MAX_TEACHER_TIMEOUT:
            raise ValueError(
                f"seconds for one reply: at most {MAX_TEACHER_TIMEOUT:g} (a day); a reply that takes longer is a hung "
                "server. Set it to the longest a slow model takes, such as 600"
            )
        return seconds

    @field_validator("n_threads")
    @classmethod
    def _at_most_the_cores(cls, n: int | None) -> int | None:
        cores = os.cpu_count() or 1
        if n is not None and n > cores:
            raise ValueError(f"this machine has {cores} cores; more threads than cores only slows llama.cpp down (leave it unset: the teacher then runs on the cores other processes leave free)")
        return n

    @model_validator(mode="after")
    def _one_kind(self) -> "TeacherConfig":
        if self.model and self.urls:
            raise ValueError("set either model (a GGUF file) or urls (llama.cpp servers), not both")
        return self


class GenerationConfig(Section):
    # "auto": fact-first for the embedded teacher, free-form for your own model or servers.
    strategy: str = AUTO
    pairs_per_chunk: Integer = Field(3, ge=1, le=20)  # free-form: pairs asked for in one reply
    prompt: str = "qa_v1"  # free-form: generation/prompts/<prompt>.txt
    facts_per_chunk: Integer | None = Field(None, ge=1, le=100)  # fact-first: None = every fact found (up to 24)
    candidates_per_fact: Integer = Field(3, ge=1, le=5)  # fact-first: questions tried per fact until one passes
    # A chunk whose reply was invalid is asked again this many runs later (a server fixed since heals the
    # dataset, at a bounded cost a night); 0: every run. `groundqa run --retry-invalid` asks now.
    retry_invalid_after: Integer = Field(3, ge=0, le=1000)

    @field_validator("strategy")
    @classmethod
    def _known_strategy(cls, name: str) -> str:
        if name != AUTO and name not in STRATEGIES:
            raise ValueError(f"choose one of {', '.join(repr(n) for n in (AUTO, *STRATEGIES))}")
        return name


class GroundingSection(Section):
    """[grounding]: the checker's settings (generation.grounding.GroundingConfig) and the run's reject limit."""

    model_config = ConfigDict(extra="allow")
    max_reject_rate: float = Field(0.9, ge=0.0, le=1.0)  # fact-first: the share of facts with no grounded question

    def checker_config(self) -> GroundingConfig:
        return GroundingConfig(**(self.model_extra or {}))


class DedupConfig(Section):
    threshold: float = Field(0.8, gt=0.0, le=1.0)


class OutputConfig(Section):
    dir: str = "out"
    formats: list[FormatName] = ["sharegpt", "alpaca", "openai", "chatml"]
    system_prompt: str | None = None
    include_context: bool = False
    # The validation split: the pairs of this share of the documents (by a hash of the source id, so
    # stable across nights; at least one document of two or more); <fmt>.validation.jsonl beside <fmt>.jsonl. 0: no split.
    validation_share: float = Field(0.1, ge=0.0, le=0.5)
    # From 500 documents the files are sharded by a hash of the source (data/<format>/<split>/), this many
    # documents a shard on average: a night rewrites only the shards of the documents that changed
    # (generation/outputs/shards.py). Larger: fewer files, more bytes rewritten on a night that changed a few documents.
    documents_per_shard: Integer = Field(DOCUMENTS_PER_SHARD, ge=1)
    turns: Integer = Field(1, ge=1, le=20)  # chat formats: published pairs joined into conversations of up to this many
    answer_style: Literal["plain", "evidence"] = "plain"  # evidence: the supporting quote first, then the answer
    trainer_configs: bool = True  # dataset_info.json (LLaMA-Factory) and axolotl.yaml beside the files
    # The dataset card's (out/README.md) licence and languages, as the Hugging Face Hub names them.
    license: str | None = None  # e.g. "cc-by-4.0", "apache-2.0", "other"
    language: list[str] = ["en"]

class CorpusConfig(Section):
    name: str | None = None
    sources: SourcesConfig = SourcesConfig()
    chunking: ChunkingConfig = ChunkingConfig()
    teacher: TeacherConfig = TeacherConfig()
    generation: GenerationConfig = GenerationConfig()
    grounding: GroundingSection = GroundingSection()
    dedup: DedupConfig = DedupConfig()
    output: OutputConfig = OutputConfig()



class Corpus(BaseModel):
    """A corpus on disk: its folder, its settings, and where it keeps state and outputs."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    root: Path
    config: CorpusConfig
    config_path: Path | None = None

    @property
    def name(self) -> str:
        return self.config.name or self.root.name

    @property
    def state_dir(self) -> Path:
        return self.root / ".groundqa"

    def model_path(self) -> Path | None:
        """[teacher] model as a path: relative to the corpus folder when a corpus.toml names it."""
        if not self.config.teacher.model:
            return None
        path = Path(self.config.teacher.model).expanduser()
        if not path.is_absolute() and self.config_path is not None:
            path = self.root / path
        return path

    @property
    def out_dir(self) -> Path:
        if self.config_path is None and self.config.output.dir == "out":
            return self.state_dir / "out"  # a plain folder keeps everything in .groundqa/
        out = Path(self.config.output.dir)
        return out if out.is_absolute() else self.root / out

    def files(self, skipped: list[tuple[str, str]] | None = None) -> Iterator[tuple[str, Path]]:
        """(source_id, path) of the corpus's documents: what [sources] selects, never corpus.toml, the
        urls_file, or the state and output folders. Links that lead out of the corpus are appended
        to `skipped` with the reason."""
        cfg = self.config.sources
        exclude = [*cfg.exclude, CONFIG_NAME, *([cfg.urls_file] if cfg.urls_file else [])]
        return walk(self.root, cfg.paths, exclude, [self.state_dir, self.out_dir], skipped)

    def urls(self) -> list[str]:
        """[sources] urls, then those of the urls_file (one a line; # starts a comment line). The file is
        read as a source is: a regular file only (never a FIFO or a device) and at most
        MAX_URLS_FILE_BYTES."""
        urls = list(self.config.sources.urls)
        name = self.config.sources.urls_file
        if name:
            where = f"{self.config_path or self.root}: [sources] urls_file = {name!r}"
            try:
                data = read_file(name, self.root / name, MAX_URLS_FILE_BYTES).data
            except SourceError as exc:
                problem = "larger than a urls_file may be" if exc.kind == "too_large" else exc.message
                raise ConfigError(
                    f"{where}: {problem}; it must be a text file of one URL a line, of at most {MAX_URLS_FILE_BYTES:,} bytes"
                ) from None
            try:
                lines = data.decode("utf-8-sig").splitlines()
            except UnicodeDecodeError as exc:
                raise ConfigError(f"{where}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
            urls += [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
        return list(dict.fromkeys(urls))


def url_problem(url: str) -> str | None:
    """Why `url` cannot be fetched, or None: an http(s) URL with a host and a valid port."""

    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises ValueError for a port out of range
    except ValueError as exc:
        return f"is not a valid URL ({exc})"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "is not an http(s) URL with a host, such as https://example.org/page.html"
    return None


SEE = "see the corpus.toml section of README.md, or corpora/example/corpus.toml"


def describe_errors(error: ValidationError, prefix: str = "", model: type[BaseModel] | None = None) -> str:
    lines = []
    for err in error.errors():
        key = ".".join(str(p) for p in err["loc"])
        where = f"{prefix}{key}" if key else prefix.rstrip(".") or "config"
        if err["type"] == "extra_forbidden":
            lines.append(f"{where}: unknown key (value {err['input']!r}); {_known_keys(model, prefix, err['loc'])}")
        else:
            lines.append(f"{where} = {err.get('input')!r}: {err['msg'].removeprefix('Value error, ')}")
    return "\n".join(lines)


def _known_keys(model: type[BaseModel] | None, prefix: str, loc: tuple) -> str:
    """The keys allowed where an unknown one was found, with where they are described."""
    for part in loc[:-1]:
        field = model.model_fields.get(str(part)) if model else None
        annotation = field.annotation if field else None
        model = annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None
    if model is None:
        return SEE
    keys = list(model.model_fields)
    if prefix == "grounding.":  # [grounding] holds the run's max_reject_rate beside the checker's keys
        keys = ["max_reject_rate", *keys]
    section = ".".join(str(p) for p in loc[:-1]) or prefix.rstrip(".")
    where = f"[{section}]" if section else "corpus.toml's top level"
    return f"{where} takes: {', '.join(keys)} ({SEE})"


def parse_config(data: dict[str, Any], origin: str = CONFIG_NAME) -> CorpusConfig:
    try:
        config = CorpusConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{origin}:\n{describe_errors(exc, model=CorpusConfig)}") from None
    try:
        config.grounding.checker_config()  # the grounding checker's own keys, named under [grounding]
    except ValidationError as exc:
        raise ConfigError(f"{origin}:\n{describe_errors(exc, 'grounding.', GroundingConfig)}") from None
    except ValueError as exc:
        raise ConfigError(f"{origin}: [grounding] {exc}") from None
    return config


def load_corpus(path: Path | str, overrides: dict[str, dict[str, Any]] | None = None, *, check_model: bool = True) -> Corpus:
    """CORPUS as the CLI takes it: a folder with a corpus.toml, a plain folder, or a corpus.toml path.
    `check_model`: the teacher's model file must exist and fit n_ctx (not asked by commands that never
    load it: status, export)."""
    path = Path(path)
    if path.is_file() and path.suffix == ".toml":
        config_path, root = path, path.parent
    elif path.is_dir():
        root = path
        config_path = path / CONFIG_NAME if (path / CONFIG_NAME).is_file() else None
    else:
        raise ConfigError(f"{path}: no such folder or corpus.toml")
    data: dict[str, Any] = {}
    if config_path is not None:
        try:
            data = tomllib.loads(config_path.read_text(encoding="utf-8-sig"))  # a BOM (Windows editors) is not TOML
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{config_path}: not valid TOML ({exc})") from None
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{config_path}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    for section, values in (overrides or {}).items():
        data.setdefault(section, {}).update({k: v for k, v in values.items() if v is not None})
    config = parse_config(data, str(config_path or path))
    corpus = Corpus(root=root.resolve(), config=config, config_path=config_path)
    origin = config_path or path
    out = corpus.out_dir.resolve()
    if out.exists() and not out.is_dir():
        raise ConfigError(f"{origin}: [output] dir = {config.output.dir!r} is a file, not a folder: name a folder for the outputs")
    if check_model:
        _check_model(corpus, origin)
    if out == corpus.root or out in corpus.root.parents:
        raise ConfigError(
            f"{config_path or path}: [output] dir = {config.output.dir!r} is the corpus folder (or holds it): the outputs "
            "would be read as sources by the next run. Give the outputs a folder of their own, such as \"out\"."
        )
    return corpus


def _check_model(corpus: Corpus, origin: Path) -> None:
    """[teacher] model names a GGUF file, and n_ctx is not above what that model was trained with (a
    larger n_ctx allocates its whole KV cache before llama.cpp notices: 20 GB for n_ctx = 1e6)."""
    teacher = corpus.config.teacher
    if teacher.urls:
        return
    try:
        path = corpus.model_path() or default_model_path()
        check_gguf(path)
    except TeacherError as exc:
        if teacher.model:
            raise ConfigError(f"{origin}: [teacher] model = {teacher.model!r}: {exc}") from None
        return  # the embedded default is missing: the run says how to install it
    except OSError as exc:
        raise ConfigError(f"{origin}: [teacher] model = {teacher.model!r} cannot be read: {exc.strerror or exc}") from None
    trained = trained_context(path)
    if trained and teacher.n_ctx > trained:
        raise ConfigError(
            f"{origin}: [teacher] n_ctx = {teacher.n_ctx} is above the context {path.name} was trained with ({trained}): "
            f"set n_ctx to {trained} or less"
        )
