"""The labelled sets of bench/grounding.py held at their floors (bench/grounding_floors.json)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[3] / "bench"


# --- the labelled set -------------------------------------------------------------------------------

# Issue 4's targets with the judge off: no floor may sit below them.
TARGETS = {
    "true_accept": 0.95,
    "reject_other_chunk": 0.98,
    "reject_fabricated_quote": 0.98,
    "reject_changed_number": 0.90,
    "reject_changed_name": 0.90,
}


def load_bench():
    spec = importlib.util.spec_from_file_location("bench_grounding", BENCH / "grounding.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_grounding", module)
    spec.loader.exec_module(module)
    return module


def test_the_labelled_set_is_deterministic():
    bench = load_bench()
    first = bench.labelled_set(seed=3, documents=3)
    assert first == bench.labelled_set(seed=3, documents=3)
    assert first != bench.labelled_set(seed=4, documents=3)
    assert {p.kind for p in first} == set(bench.KINDS)


def test_floors_are_not_below_the_targets():
    floors = json.loads((BENCH / "grounding_floors.json").read_text())["judge_off"]
    for name, target in TARGETS.items():
        assert floors[name] >= target, f"{name}: floor {floors[name]} is below issue 4's target {target}"


def test_the_labelled_set_holds_its_floors():
    bench = load_bench()
    measured, pairs, _, _ = bench.evaluate()
    assert len(pairs) > 5000
    problems = bench.below_floors(measured, bench.load_floors())
    assert not problems, "\n".join(problems)


def test_the_real_text_set_holds_its_floors():
    bench = load_bench()
    measured, pairs, _, _ = bench.evaluate_real()
    assert len(pairs) >= 300 and len({p.passage for p in pairs}) >= 30
    problems = bench.below_floors(measured, bench.load_floors(key="real_text"))
    assert not problems, "\n".join(problems)


def test_the_held_out_real_text_set_holds_its_floors():
    # Floors at its first measurement: a guard against losing ground, never a target to tune on it.
    bench = load_bench()
    measured, pairs, _, _ = bench.evaluate_real(holdout=True)
    assert len(pairs) >= 70
    problems = bench.below_floors(measured, bench.load_floors(key="real_text_holdout"))
    assert not problems, "\n".join(problems)


def test_the_development_sets_hold_their_floors():
    bench = load_bench()
    measured, pairs, _, _ = bench.evaluate_real(which="dev")
    assert len(pairs) >= 1000
    problems = bench.below_floors(measured, bench.load_floors(key="development"))
    assert not problems, "\n".join(problems)


def test_the_test_half_holds_its_floors():
    # Measured once per change set, never tuned on: the floors only guard against losing ground.
    bench = load_bench()
    floors = bench.load_floors(key="test")
    if not floors:
        pytest.skip("the test half has no floors yet: they are set once it is measured (python bench/grounding.py --test)")
    measured, pairs, _, _ = bench.evaluate_real(which="test")
    problems = bench.below_floors(measured, floors)
    assert not problems, "\n".join(problems)


def test_the_real_text_set_is_well_formed():
    import sys

    sys.path.insert(0, str(BENCH))
    import realtext_data

    assert realtext_data.problems() == []
    assert realtext_data.problems(realtext_data.HOLDOUT_DIR) == []
