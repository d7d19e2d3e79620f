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
