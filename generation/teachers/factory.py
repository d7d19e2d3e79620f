"""Which teacher a corpus asks for, made when there is work for it.

`TeacherSpec.identity` (what the generation signature hashes) is known without loading the model or
asking a server where that is possible, so a night with nothing to generate never loads the model; a
server that is down then is not an error until there is work for it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Callable

from ingest.sources import redact

from .base import Teacher, TeacherError
from .http import HttpTeacher, server_teacher_id
from .llama import LlamaCppTeacher, check_gguf, default_model_path, file_sha256, parameter_count

if TYPE_CHECKING:
    from generation.config import Corpus

logger = logging.getLogger(__name__)


class TeacherSpec:
    """Which teacher a corpus asks for. `identity` (what the generation signature hashes) is known
    without loading the model, so an unchanged corpus never loads it."""

    def __init__(self, corpus: "Corpus", teacher: Teacher | None = None):
        self.corpus = corpus
        self.config = corpus.config.teacher
        self._teacher = teacher
        self._owned = teacher is None  # a teacher passed in belongs to the caller, who closes it
        self._identity: str | None = None
        self.last_server_teacher: Callable[[], str | None] | None = None  # set by the run: asks the store
        self._unreachable: TeacherError | None = None

    def parameters(self, ask_server: bool = False) -> int | None:
        """The teacher model's parameters: from the GGUF header, or what a server says (only asked when
        `ask_server`); None when it cannot be told."""
        if self._teacher is not None:
            return getattr(self._teacher, "n_params", None)
        if self.config.urls:
            if not ask_server:
                return None
            try:
                return getattr(self.load(), "n_params", None)
            except TeacherError:
                return None
        try:
            return parameter_count(self.corpus.model_path() or default_model_path())
        except TeacherError:
            return None

    @property
    def is_embedded(self) -> bool:
        """The embedded default teacher: no model file, no server, no teacher passed in."""
        return self._teacher is None and not self.config.model and not self.config.urls

    @property
    def identity(self) -> str:
        if self._identity is None:
            if self._teacher is not None:
                self._identity = self._teacher.teacher_id
            elif self.config.urls and self.config.server_model:
                self._identity = server_teacher_id(self.config.server_model)  # known without asking the server
            elif self.config.urls:
                try:
                    self._identity = self.load().teacher_id
                except TeacherError as exc:
                    # Down at the start of a night with nothing new to generate: the stored work is found
                    # under the server model that generated last, and the run goes on without it.
                    last = self.last_server_teacher() if self.last_server_teacher and exc.kind == "unreachable" else None
                    if last is None:
                        raise
                    logger.warning("%s; going on as %s, the teacher of the last run, for what is already stored", redact(str(exc)), last)
                    self._identity = last
                    self._unreachable = exc
            else:
                path = self.corpus.model_path() or default_model_path()
                check_gguf(path)
                self._identity = f"gguf:{file_sha256(path, self.corpus.state_dir)}"
        return self._identity

    @property
    def label(self) -> str:
        """The teacher as a reader of the dataset card knows it: the model file's name, or the server's model."""
        if self._teacher is not None or self.config.urls:
            return self._teacher.teacher_id if self._teacher is not None else self.identity
        path = self.corpus.model_path() or default_model_path()
        return f"{path.name} ({self.identity[:17]}…)"

    def load(self) -> Teacher:
        if self._unreachable is not None:  # found down once this run: there is work for it now
            error, self._unreachable = self._unreachable, None
            raise error
        if self._teacher is None:
            if self.config.urls:
                self._teacher = HttpTeacher(
                    self.config.urls,
                    api_key_env=self.config.api_key_env,
                    model=self.config.server_model,
                    slots=self.config.slots,
                    timeout=self.config.timeout,
                    retries=self.config.retries,
                    n_ctx=self.config.n_ctx,
                )
            else:
                self._teacher = LlamaCppTeacher(
                    self.corpus.model_path(),
                    n_ctx=self.config.n_ctx,
                    n_threads=self.config.n_threads,
                    n_gpu_layers=self.config.n_gpu_layers,
                    seed=self.config.seed,
                )
        return self._teacher

    def thread_report(self) -> dict[str, Any] | None:
        """The in-process teacher's threads and why they were chosen, once it is loaded; None otherwise."""
        report = getattr(self._teacher, "thread_report", None)
        return report() if callable(report) else None

    def close(self) -> None:
        if self._owned and self._teacher is not None:
            self._teacher.close()
            self._teacher = None
