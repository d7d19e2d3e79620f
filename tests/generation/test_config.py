import os

import pytest

from generation.config import ConfigError, load_corpus


def test_plain_folder_uses_defaults_and_keeps_state_in_dot_groundqa(tmp_path):
    corpus = load_corpus(tmp_path)
    assert corpus.config.chunking.tokens == 512 and corpus.config.chunking.overlap == 64
    assert corpus.out_dir == tmp_path.resolve() / ".groundqa" / "out"


def test_corpus_toml_path_or_folder(write, tmp_path):
    write("corpus.toml", 'name = "kb"\n[chunking]\ntokens = 256\noverlap = 32\n[output]\ndir = "dataset"\n')
    for target in (tmp_path, tmp_path / "corpus.toml"):
        corpus = load_corpus(target)
        assert corpus.name == "kb" and corpus.config.chunking.tokens == 256
        assert corpus.out_dir == tmp_path.resolve() / "dataset"


@pytest.mark.parametrize(
    "toml, message",
    [
        ("[chunking]\ntokenz = 5\n", "chunking.tokenz: unknown key"),
        ("[chunking]\ntokens = 100\noverlap = 100\n", "overlap = 100 must be less than tokens = 100"),
        ("[dedup]\nthreshold = 1.5\n", "dedup.threshold = 1.5"),
        ('[output]\nformats = ["alpaca", "parquet"]\n', "output.formats.1 = 'parquet'"),
        ('[teacher]\nurls = ["127.0.0.1:8080"]\n', "is not an http(s) base URL"),
        ("[chunking]\ntokens = 'many'\n", "chunking.tokens = 'many'"),
        ("[grounding]\nnot_a_setting = 1\n", "not_a_setting"),
    ],
)
def test_bad_settings_name_the_key_the_value_and_what_is_allowed(write, tmp_path, toml, message):
    write("corpus.toml", toml)
    with pytest.raises(ConfigError) as err:
        load_corpus(tmp_path)
    assert message in str(err.value)


def test_urls_file_is_read(write, tmp_path):
    write("corpus.toml", '[sources]\nurls = ["https://a.example/x"]\nurls_file = "urls.txt"\n')
    write("urls.txt", "# comment\nhttps://b.example/y\n\nhttps://a.example/x\n")
    assert load_corpus(tmp_path).urls() == ["https://a.example/x", "https://b.example/y"]


def test_a_byte_order_mark_at_the_start_of_corpus_toml_is_accepted(tmp_path):
    (tmp_path / "corpus.toml").write_bytes(b"\xef\xbb\xbf" + b'name = "kb"\n[chunking]\ntokens = 256\noverlap = 32\n')  # as Notepad saves it
    corpus = load_corpus(tmp_path)
    assert corpus.name == "kb" and corpus.config.chunking.tokens == 256


def test_a_urls_file_that_is_a_fifo_is_refused_at_once_not_waited_on(tmp_path):
    """Opened, a FIFO would block `run` and `status` until something writes to it: it is never opened.
    Run as a user would, in a process of its own, so that a regression hangs that process, not the tests."""
    import subprocess
    import sys
    from pathlib import Path

    (tmp_path / "corpus.toml").write_text('[sources]\nurls_file = "urls.txt"\n')
    os.mkfifo(tmp_path / "urls.txt")
    (tmp_path / "a.md").write_text("# A\n\nThe Alder Mill was founded in 1821.")
    repo = Path(__file__).resolve().parents[2]
    for command in ("status", "run"):
        done = subprocess.run([sys.executable, "-m", "generation", command, str(tmp_path)], cwd=repo, capture_output=True, text=True, timeout=60)
        message = " ".join(done.stderr.split())
        assert done.returncode == 2, (command, done.stderr)
        assert "[sources] urls_file = 'urls.txt'" in message and "named pipe (FIFO), not a file" in message
        assert "a text file of one URL a line" in message and "Traceback" not in message


def test_a_urls_file_over_the_cap_is_refused_without_reading_it(tmp_path):
    from generation.config import MAX_URLS_FILE_BYTES

    (tmp_path / "corpus.toml").write_text('[sources]\nurls_file = "urls.txt"\n')
    with open(tmp_path / "urls.txt", "wb") as f:  # sparse: no disk is spent on it
        f.truncate(MAX_URLS_FILE_BYTES + 1)
    with pytest.raises(ConfigError) as err:
        load_corpus(tmp_path).urls()
    assert "larger than a urls_file may be" in str(err.value) and f"{MAX_URLS_FILE_BYTES:,} bytes" in str(err.value)


def test_a_urls_file_with_a_byte_order_mark_or_not_utf8(tmp_path):
    (tmp_path / "corpus.toml").write_text('[sources]\nurls_file = "urls.txt"\n')
    (tmp_path / "urls.txt").write_bytes(b"\xef\xbb\xbfhttps://a.example/x\n")
    assert load_corpus(tmp_path).urls() == ["https://a.example/x"]
    (tmp_path / "urls.txt").write_bytes(b"https://a.example/caf\xe9\n")
    with pytest.raises(ConfigError) as err:
        load_corpus(tmp_path).urls()
    assert "not UTF-8 text (byte 21); save it as UTF-8" in str(err.value)
