"""The house rules of docs/architecture.md, read off the code: what may import what, no import cycle, the
extension points registered in one list each, and no module that grew into a package of its own."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("ingest", "generation")
MAX_LINES = 500  # above it, a module says at its top why it is one module ("One module, because ...")


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def imports(name: str, path: Path, *, top_level_only: bool) -> set[str]:
    """The project modules `name` imports (TYPE_CHECKING blocks left out: they are not run)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    known = modules()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST, depth: int) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) and top_level_only:
                continue
            if isinstance(child, ast.Import):
                found.update(a.name for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")
                    anchor = anchor[: len(anchor) - (child.level - 1)]
                    base = ".".join(anchor + ([base] if base else []))
                names = [f"{base}.{a.name}" for a in child.names]
                submodules = [n for n in names if n in known]
                found.update(submodules)
                if len(submodules) < len(names):  # some names are the module's own, not submodules
                    found.add(base)
            visit(child, depth + 1)

    visit(tree, 0)
    return {m for m in found if m in known and m != name}


def layer_of(module: str) -> str:
    for prefix in (
        "ingest", "generation.text", "generation.prompts", "generation.teachers.factory", "generation.teachers",
        "generation.records", "generation.grounding", "generation.strategies", "generation.outputs", "generation.dedup",
        "generation.config", "generation.pipeline", "generation.review", "generation.console", "generation.cli",
        "generation.__main__", "generation.errors",
    ):
        if module == prefix or module.startswith(prefix + "."):
            return prefix
    return module  # generation itself: exit codes


# A module of the layer on the left may import only from the layers on the right (and its own layer).
ALLOWED = {
    "ingest": {"ingest"},
    "generation.text": set(),
    "generation.prompts": set(),
    "generation.errors": set(),
    "generation": set(),
    "generation.teachers": {"ingest", "generation.teachers"},
    "generation.records": {"generation.teachers", "ingest"},
    "generation.grounding": {"generation.text", "generation.prompts", "generation.teachers", "generation.records", "generation"},
    "generation.strategies": {"generation.text", "generation.prompts", "generation.teachers", "generation.records", "ingest"},
    "generation.outputs": {"generation.text", "generation.records", "ingest"},
    "generation.dedup": {"ingest"},
    "generation.config": {"generation.grounding", "generation.outputs", "generation.strategies", "generation.teachers", "ingest"},
    "generation.teachers.factory": {"generation.teachers", "generation.config", "ingest"},
    "generation.pipeline": {
        "generation", "generation.errors", "generation.config", "generation.records", "generation.grounding", "generation.strategies",
        "generation.outputs", "generation.dedup", "generation.teachers", "generation.teachers.factory", "generation.text", "ingest",
    },
    "generation.review": {
        "generation", "generation.errors", "generation.config", "generation.pipeline", "generation.records", "generation.grounding",
        "generation.outputs", "generation.teachers", "generation.text", "ingest",
    },
    "generation.console": {"ingest"},
    "generation.cli": {
        "generation", "generation.config", "generation.pipeline", "generation.review", "generation.console", "generation.outputs",
        "generation.records", "generation.teachers", "ingest",
    },
    "generation.__main__": {"generation.cli"},
}


@pytest.mark.parametrize("name", sorted(modules()))
def test_every_import_follows_the_layers(name):
    path = modules()[name]
    layer = layer_of(name)
    allowed = ALLOWED[layer] | {layer}
    wrong = sorted(m for m in imports(name, path, top_level_only=False) if layer_of(m) not in allowed)
    assert not wrong, f"{name} ({layer}) imports {wrong}: see docs/architecture.md, 'What may import what'"


def test_the_units_do_not_import_one_another():
    """A check, a strategy, a format or a reader is one file: it imports its base and the shared layers,
    never another unit of its kind."""
    units = {
        "generation.grounding.checks": {"base"},
        "generation.strategies": {"base"},
        "generation.outputs.formats": {"base"},
        # readers share the text builder of structured documents (markup) and the zip checks (zipped); the PDF
        # reader names an HTML page given a .pdf name with html's sniff
        "ingest.readers": {"base", "markup", "zipped", "html"},
    }
    for package, shared in units.items():
        for name, path in modules().items():
            if name.rpartition(".")[0] != package or path.name == "__init__.py":
                continue
            others = {m for m in imports(name, path, top_level_only=False) if m.startswith(package + ".") and m.rpartition(".")[2] not in shared}
            assert not others, f"{name} imports {sorted(others)}: a unit imports only its base"


def test_no_import_cycle():
    graph = {name: imports(name, path, top_level_only=True) for name, path in modules().items()}
    graph = {name: {m for m in deps if not name.startswith(m + ".")} for name, deps in graph.items()}  # a package's __init__ runs first anyway
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == 1:
                cycle = trail[trail.index(dep):] + [dep] if dep in trail else [node, dep]
                pytest.fail(f"import cycle: {' -> '.join(cycle)}")
            if dep not in state:
                visit(dep, trail + [dep])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])


def test_each_extension_point_is_one_list():
    from generation.grounding.checks import CHECKS
    from generation.outputs.formats import FORMATS
    from generation.strategies import STRATEGIES
    from ingest.readers import READERS

    assert [c.name for c in CHECKS][:6] == ["quote", "support", "novelty", "form", "roundtrip", "span_roundtrip"]
    assert set(STRATEGIES) >= {"free_form", "fact_first"}
    assert list(FORMATS)[:4] == ["alpaca", "sharegpt", "openai", "chatml"]
    assert {"pdf", "html", "markdown", "text", "docx", "pptx", "xlsx", "epub", "odt"} <= {r.kind for r in READERS}
    for check in CHECKS:  # every reason a check gives is in the catalogue, with a meaning
        assert check.reasons and all(isinstance(m, str) and m for m in check.reasons.values()), check.name


def test_no_module_grows_into_a_package_of_its_own():
    for name, path in modules().items():
        text = path.read_text(encoding="utf-8")
        if text.count("\n") > MAX_LINES:
            assert "One module, because" in text[:3000], f"{name} has {text.count(chr(10))} lines: split it, or say at its top why it is one module"
