import os

import pytest

from ingest.records import SourceError
from ingest.sources import fetch_url, glob_match, read_file, walk


def test_walk_finds_documents_skips_hidden_folders_and_stays_inside(tmp_path, write):
    write("a.md", "# A")
    write("sub/deeper/b.txt", "b")
    write(".groundqa/state.txt", "state")
    write(".hidden.md", "hidden")
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    os.symlink(outside, tmp_path / "link-out")
    os.symlink(tmp_path / "a.md", tmp_path / "link-in.md")
    found = [source_id for source_id, _ in walk(tmp_path)]
    assert found == ["a.md", "link-in.md", "sub/deeper/b.txt"]


def test_globs_select_and_exclude(tmp_path, write):
    write("docs/a.md", "a")
    write("docs/drafts/b.md", "b")
    write("other/c.md", "c")
    found = [s for s, _ in walk(tmp_path, ["docs/**/*"], ["**/drafts/**"])]
    assert found == ["docs/a.md"]
    assert glob_match("docs/x/y.pdf", "**/*.pdf") and not glob_match("docs/x/y.pdf", "*.pdf")
    assert glob_match("docs/a.md", "./docs/*.md") and glob_match(".config/a.md", "./.config/*")
    assert not glob_match("config/a.md", "./.config/*")


def test_file_over_max_bytes_is_refused(write):
    path = write("big.txt", "x" * 100)
    with pytest.raises(SourceError) as err:
        read_file("big.txt", path, max_bytes=10)
    assert err.value.kind == "too_large"


def test_fetch_sends_user_agent_and_reuses_etag(site):
    site.pages["/p.html"] = (200, {"ETag": '"v1"', "Content-Type": "text/html"}, b"<html><body><p>hi</p></body></html>")
    raw = fetch_url(site.url("/p.html"))
    assert raw.data.startswith(b"<html>") and raw.etag == '"v1"'
    assert site.requests[0]["headers"]["User-Agent"].startswith("groundqa/")
    again = fetch_url(site.url("/p.html"), etag=raw.etag)
    assert again.not_modified and site.requests[1]["headers"]["If-None-Match"] == '"v1"'


@pytest.mark.parametrize(
    "url, kind",
    [("ftp://example.org/x", "bad_url"), ("file:///etc/passwd", "bad_url")],
)
def test_only_http_urls_are_fetched(url, kind):
    with pytest.raises(SourceError) as err:
        fetch_url(url)
    assert err.value.kind == kind


def test_http_errors_and_dead_servers_are_reasons(site):
    with pytest.raises(SourceError) as err:
        fetch_url(site.url("/missing"))
    assert err.value.kind == "http_error" and "404" in err.value.message
    with pytest.raises(SourceError) as err:
        fetch_url("http://127.0.0.1:9/nothing", timeout=2)
    assert err.value.kind == "fetch_failed"


def test_fetch_stops_at_max_bytes(site):
    site.pages["/big"] = (200, {}, b"x" * 5000)
    with pytest.raises(SourceError) as err:
        fetch_url(site.url("/big"), max_bytes=1000)
    assert err.value.kind == "too_large"


def test_a_name_copied_from_macos_in_nfd_keeps_its_source_id(tmp_path):
    """macOS writes "café" with a separate accent (NFD); the same folder copied over is the same documents."""
    import unicodedata

    nfc = unicodedata.normalize("NFC", "docs/café.md")
    nfd = unicodedata.normalize("NFD", "docs/café.md")
    assert nfc != nfd
    (tmp_path / "docs").mkdir()
    (tmp_path / nfc).write_text("# Café\n\nThe Old Café was founded in 1888.")
    before = [source_id for source_id, _ in walk(tmp_path, ["docs/**/*"], ["**/drafts/**"])]
    os.rename(tmp_path / nfc, tmp_path / nfd)
    assert os.listdir(tmp_path / "docs") == [nfd.split("/")[1]]  # the file system keeps the name as given
    after = list(walk(tmp_path, [unicodedata.normalize("NFD", "docs/caf*")]))
    assert before == [nfc] and [source_id for source_id, _ in after] == [nfc]
    assert read_file(after[0][0], after[0][1]).data.startswith(b"# Caf")  # opened by its real name
