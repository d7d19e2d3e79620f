"""The in-process llama.cpp teacher. Tests marked `real` load the embedded SmolLM2-135M GGUF."""

import json

import pytest

from generation.config import load_corpus
from generation.pipeline.run import Run
from generation.strategies import GenerationSettings
from generation.strategies.free_form import generate_pairs, reply_schema
from generation.teachers import TeacherError, probability_of
from generation.teachers.llama import LlamaCppTeacher, default_model_path

CHUNK = (
    "The Cwm Llys viaduct carries the railway across the river Llys, 6 kilometres above Millbrook. "
    "It was built in 1886 of local granite, and it has nine arches, each with a span of 11 metres."
)


def test_a_missing_model_file_says_which_setting_to_change(tmp_path):
    with pytest.raises(TeacherError, match="does not exist; set \\[teacher\\] model"):
        LlamaCppTeacher(tmp_path / "nope.gguf")


def test_a_file_that_is_not_gguf_is_refused(tmp_path):
    fake = tmp_path / "model.gguf"
    fake.write_bytes(b"PK\x03\x04 not a model")
    with pytest.raises(TeacherError, match="is not a GGUF file"):
        LlamaCppTeacher(fake)


def test_the_embedded_model_is_found_through_its_distribution():
    path = default_model_path()
    assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf" and path.stat().st_size > 50_000_000


@pytest.fixture
def teacher(embedded_teacher):
    return embedded_teacher


@pytest.mark.real
def test_embedded_teacher_replies_with_json_that_matches_the_schema(teacher):
    assert teacher.n_ctx == 2048 and teacher.teacher_id.endswith("SmolLM2-135M-Instruct.Q4_1.gguf")
    settings = GenerationSettings(pairs_per_chunk=2, max_tokens=512, temperature=0.2)
    result = generate_pairs(teacher, CHUNK, key="k", gen_sig="g", settings=settings)
    assert result.calls >= 1 and result.usage.completion_tokens > 0
    assert result.status in ("ok", "invalid_reply")
    if result.status == "ok":
        sentences = reply_schema(2, CHUNK)["$defs"]["QAPair"]["properties"]["quotes"]["items"]["enum"]
        assert all(q in sentences for c in result.candidates for q in c.quotes)
    else:  # cut off at max_tokens: still recorded with its reason
        assert "max_tokens" in result.error


@pytest.mark.real
def test_embedded_teacher_gives_first_token_probabilities(teacher):
    messages = [{"role": "user", "content": f"{CHUNK}\n\nIs the viaduct built of granite? Answer yes or no."}]
    completion = teacher.complete(messages, max_tokens=1, top_logprobs=10)
    assert len(completion.logprobs[0].top) >= 5
    p = probability_of(completion, "yes")
    assert p is not None and 0.0 < p <= 1.0
    assert teacher.count_tokens(messages) == completion.usage.prompt_tokens


@pytest.mark.real
def test_a_one_chunk_corpus_runs_end_to_end_with_the_embedded_teacher(tmp_path, teacher):
    (tmp_path / "viaduct.md").write_text("# The Cwm Llys viaduct\n\n" + CHUNK + "\n")
    (tmp_path / "corpus.toml").write_text("[teacher]\nn_ctx = 2048\nmax_tokens = 512\ntemperature = 0.2\n[generation]\npairs_per_chunk = 2\n")
    outcome = Run(load_corpus(tmp_path), teacher=teacher).run()
    m = outcome.manifest
    assert m["chunks"]["total"] == 1 and m["teacher"]["calls"] >= 1
    assert m["teacher"]["threads"]["n_threads"] >= 1 and "allowed" in m["teacher"]["threads"]["reason"]
    out = tmp_path / "out"
    published = [json.loads(line) for line in (out / "pairs.jsonl").read_text().splitlines()]
    rejected = [json.loads(line) for line in (out / "rejected.jsonl").read_text().splitlines()]
    assert published or rejected  # every pair the teacher wrote ends up somewhere, with its reasons
    assert all(r["reasons"] for r in rejected)
    assert outcome.exit_code in (0, 1) and (outcome.exit_code == 0) == bool(published)
    again = Run(load_corpus(tmp_path), teacher=teacher).run()
    assert again.manifest["teacher"]["calls"] == 0
    assert [json.loads(line) for line in (out / "pairs.jsonl").read_text().splitlines()] == published


# The Python tutorial's venv page (PSF licence), as in bench/realtext: a backslash path, quotes, code.
VENV = (
    "Once you've created a virtual environment, you may activate it.\n\n"
    "On Windows, run:\n\n    tutorial-env\\Scripts\\activate.bat\n\n"
    "On Unix or MacOS, run:\n\n    source tutorial-env/bin/activate\n\n"
    '(This script is written for the bash shell. If you use the "csh" or "fish" shells, there are alternate '
    "activate.csh and activate.fish scripts you should use instead.)"
)


@pytest.mark.real
def test_the_teacher_roundtrip_gets_a_sentence_number_from_the_embedded_teacher(teacher):
    from generation.grounding import GroundingChecker, GroundingConfig, render_roundtrip_prompt

    checker = GroundingChecker(GroundingConfig(teacher_roundtrip=True), teacher=teacher)
    _, count = render_roundtrip_prompt("roundtrip_v1", VENV, "")
    verdict = checker.check(VENV, "Which scripts should csh or fish users run?", "activate.csh or activate.fish.",
                            ["alternate activate.csh and activate.fish scripts you should use instead"])
    # The grammar held: a number of one of the passage's sentences, or 0; never an unreadable reply.
    assert verdict.teacher_sentence is not None and 0 <= verdict.teacher_sentence <= count
    assert not {"teacher_roundtrip_failed", "teacher_roundtrip_unclear"} & set(verdict.reasons)



@pytest.mark.real
def test_an_explicit_n_threads_is_what_llama_cpp_runs():
    import llama_cpp

    with LlamaCppTeacher(n_ctx=512, n_threads=1) as teacher:
        ctx = teacher.llm._ctx.ctx
        assert (llama_cpp.llama_n_threads(ctx), llama_cpp.llama_n_threads_batch(ctx)) == (1, 1)
        assert teacher.thread_report() == {"n_threads": 1, "reason": "[teacher] n_threads = 1", "changes": 0}


@pytest.mark.real
def test_the_teacher_follows_a_change_in_the_free_cores_between_calls():
    import llama_cpp

    from generation.teachers.threads import REVIEW_SECONDS, ThreadGovernor
    from tests.generation.teachers.test_threads import FakeReadings

    machine = FakeReadings(2, busy=0.0)
    with LlamaCppTeacher(n_ctx=512) as teacher:
        teacher.threads = ThreadGovernor(None, machine)
        teacher.threads.initial()
        machine.busy = 1.0  # another process takes a core
        machine.advance(REVIEW_SECONDS)
        reply = teacher.complete([{"role": "user", "content": "Say yes."}], max_tokens=4, temperature=0.0)
        assert reply.usage.completion_tokens > 0
        ctx = teacher.llm._ctx.ctx
        assert (llama_cpp.llama_n_threads(ctx), llama_cpp.llama_n_threads_batch(ctx)) == (1, 1)  # what llama.cpp runs
        assert teacher.thread_report()["changes"] == 1


def test_a_cpu_with_amx_is_told_from_its_flags():
    """On such a CPU the embedded model loads without llama.cpp's AMX kernels, which crashed every run (SIGSEGV)."""
    from generation.teachers.llama import cpu_has_amx

    assert cpu_has_amx("processor\t: 0\nflags\t\t: fpu avx2 avx512f amx_bf16 amx_tile amx_int8\n")
    assert not cpu_has_amx("processor\t: 0\nflags\t\t: fpu avx2 avx512f\n")
    assert not cpu_has_amx("model name\t: Some CPU with amx_tile in its name\n")  # only the flags line counts


@pytest.mark.real
def test_on_this_cpu_the_embedded_model_loads_without_the_kernels_that_crash(teacher):
    """`teacher` loaded it; with AMX, the model's default parameters leave extra buffer types off."""
    import llama_cpp.llama as llama_module

    from generation.teachers.llama import cpu_has_amx

    params = llama_module.llama_cpp.llama_model_default_params()
    if cpu_has_amx() and hasattr(params, "use_extra_bufts"):
        assert params.use_extra_bufts is False
    assert teacher.complete([{"role": "user", "content": "Say yes."}], max_tokens=4).usage.completion_tokens >= 1
