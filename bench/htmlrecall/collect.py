"""Collect the documentation pages of bench/html_recall.py's second set from this machine.

    python bench/htmlrecall/collect.py

Copies the pages listed in PAGES from the documentation that the Rust toolchain (rustup, 1.95.0),
Node.js 20 and npm 10 and Debian's libffi8 install, gzipped, into bench/htmlrecall/pages/, and
writes pages.json: each page's origin, licence and the element that holds its main text (the
element the generator itself marks as the content: mdBook's <main>, Node's #apicontent, npm's
#_content, rustdoc's #main-content, texinfo's sectioning div). The reference text is that
element's text less the navigation the generator puts inside it; bench/html_recall.py computes it
from the page at run time with the rule stored here, so the rule can be read and checked.
Already collected pages are kept; the set in the repository is what the figures were measured on.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
RUST = Path.home() / ".rustup/toolchains/stable-x86_64-unknown-linux-gnu/share/doc/rust/html"
NODE = Path("/usr/share/doc/nodejs/api")
NPM = Path("/usr/lib/node_modules/npm/docs/output")
LIBFFI = Path("/usr/share/doc/libffi8/html")

RUST_LICENCE = "MIT OR Apache-2.0 (The Rust Project Developers)"
GENERATORS = {
    "mdbook": {"main": "//main", "drop": []},
    "node": {"main": "//div[@id='apicontent']", "drop": []},
    "npm": {"main": "//div[@id='_content']", "drop": []},
    "rustdoc": {
        "main": "//section[@id='main-content']",
        # the "Source" links and the collapsed toggles' labels, not prose
        "drop": [".//a[@class='src']", ".//span[@class='since']", ".//rustdoc-toolbar"],
    },
    "texinfo": {
        "main": "//body",
        # the Next/Previous/Up bar, the sub-section menu, the rule lines
        "drop": [".//div[@class='header']", ".//div[@class='nav-panel']", ".//ul[@class='mini-toc']", ".//table[@class='menu']"],
    },
}
PAGES = [
    ("rust-book-ownership", RUST / "book/ch04-01-what-is-ownership.html", "mdbook", RUST_LICENCE),
    ("rust-book-guessing-game", RUST / "book/ch02-00-guessing-game-tutorial.html", "mdbook", RUST_LICENCE),
    ("rust-book-hashmaps", RUST / "book/ch08-03-hash-maps.html", "mdbook", RUST_LICENCE),
    ("rust-book-cargo-workspaces", RUST / "book/ch14-03-cargo-workspaces.html", "mdbook", RUST_LICENCE),
    ("rust-book-keywords", RUST / "book/appendix-01-keywords.html", "mdbook", RUST_LICENCE),
    ("rust-book-operators", RUST / "book/appendix-02-operators.html", "mdbook", RUST_LICENCE),
    ("rust-reference-comments", RUST / "reference/comments.html", "mdbook", RUST_LICENCE),
    ("rust-reference-destructors", RUST / "reference/destructors.html", "mdbook", RUST_LICENCE),
    ("rust-reference-linkage", RUST / "reference/linkage.html", "mdbook", RUST_LICENCE),
    ("nomicon-races", RUST / "nomicon/races.html", "mdbook", RUST_LICENCE),
    ("nomicon-repr-rust", RUST / "nomicon/repr-rust.html", "mdbook", RUST_LICENCE),
    ("cargo-faq", RUST / "cargo/faq.html", "mdbook", RUST_LICENCE),
    ("rustdoc-env-var", RUST / "std/env/fn.var.html", "rustdoc", RUST_LICENCE),
    ("rustdoc-read-to-string", RUST / "std/fs/fn.read_to_string.html", "rustdoc", RUST_LICENCE),
    ("rustdoc-hashmap", RUST / "std/collections/struct.HashMap.html", "rustdoc", RUST_LICENCE),
    ("node-path", NODE / "path.html", "node", "MIT (Node.js contributors)"),
    ("node-os", NODE / "os.html", "node", "MIT (Node.js contributors)"),
    ("node-querystring", NODE / "querystring.html", "node", "MIT (Node.js contributors)"),
    ("node-string-decoder", NODE / "string_decoder.html", "node", "MIT (Node.js contributors)"),
    ("node-timers", NODE / "timers.html", "node", "MIT (Node.js contributors)"),
    ("npm-install", NPM / "commands/npm-install.html", "npm", "Artistic-2.0 (npm, Inc.)"),
    ("npm-ci", NPM / "commands/npm-ci.html", "npm", "Artistic-2.0 (npm, Inc.)"),
    ("npm-scripts", NPM / "using-npm/scripts.html", "npm", "Artistic-2.0 (npm, Inc.)"),
    ("npm-package-json", NPM / "configuring-npm/package-json.html", "npm", "Artistic-2.0 (npm, Inc.)"),
    ("libffi-introduction", LIBFFI / "Introduction.html", "texinfo", "MIT (libffi authors)"),
    ("libffi-the-basics", LIBFFI / "The-Basics.html", "texinfo", "MIT (libffi authors)"),
    ("libffi-structures", LIBFFI / "Structures.html", "texinfo", "MIT (libffi authors)"),
    ("libffi-closure-api", LIBFFI / "The-Closure-API.html", "texinfo", "MIT (libffi authors)"),
    ("libffi-thread-safety", LIBFFI / "Thread-Safety.html", "texinfo", "MIT (libffi authors)"),
    ("libffi-missing-features", LIBFFI / "Missing-Features.html", "texinfo", "MIT (libffi authors)"),
]


def main() -> None:
    folder = HERE / "pages"
    folder.mkdir(exist_ok=True)
    manifest = []
    for name, path, generator, licence in PAGES:
        target = folder / f"{name}.html.gz"
        if not target.exists():
            target.write_bytes(gzip.compress(path.read_bytes(), mtime=0))
        manifest.append({"name": name, "origin": str(path).replace(str(Path.home()), "~"), "licence": licence, "generator": generator, **GENERATORS[generator]})
    (HERE / "pages.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n")
    print(f"{len(manifest)} pages in {folder}")


if __name__ == "__main__":
    main()
