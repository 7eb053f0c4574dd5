"""Every registered gate is proven by its own failures: a product and a config seeded-defect test each.

Reads the test sources under ``tests/`` (not the collected items: ``-k`` or running one file
never changes the verdict) through :func:`seeded_defects.scan_tests`. Fails naming the gate
and the missing kind, a marker with an unknown gate or kind, or a marked test that never calls
``assert_gate_caught`` / ``assert_output_names``. The scanner itself is proven on small sources.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from validation.gates.registry import gate_names

try:  # tests/ as a package (rootdir on sys.path) or as plain folders
    from tests.seeded_defects import KINDS, SeededTest, coverage_problems, scan_source, scan_tests
except ModuleNotFoundError:
    from seeded_defects import KINDS, SeededTest, coverage_problems, scan_source, scan_tests  # type: ignore[no-redef]

TESTS_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def seeded() -> list[SeededTest]:
    """Every seeded-defect test written under tests/."""
    return scan_tests(TESTS_ROOT)


@pytest.mark.parametrize("gate", gate_names())
def test_every_registered_gate_has_a_product_and_a_config_seeded_defect_test(
    gate: str, seeded: list[SeededTest]
) -> None:
    """One test per gate, so the failure names the gate and the kinds it lacks."""
    lacking = coverage_problems(seeded, [gate]).get(gate, [])
    assert not lacking, (
        f"gate {gate} has no seeded-defect test of kind {', '.join(lacking)}: add "
        f'@pytest.mark.seeded_defect(gate="{gate}", kind="...") tests that call assert_gate_caught'
    )


def test_every_marker_names_a_registered_gate_and_kind_and_asserts_the_catch(seeded: list[SeededTest]) -> None:
    """A typo in a marker or a marked test that asserts nothing would count for nothing: both fail here."""
    assert seeded, f"no seeded-defect test found under {TESTS_ROOT}"
    known = gate_names()
    problems = [p for t in seeded for p in t.problems(known)]
    assert not problems, "\n".join(problems)


SOURCE = """
import pytest

@pytest.mark.seeded_defect(gate="g", kind="product")
def test_good(): assert_gate_caught(result, "x")

@pytest.mark.seeded_defect(gate="g", kind="config")
def test_silent(): assert result.status

class TestGroup:
    @pytest.mark.seeded_defect(gate="h", kind="config")
    def test_method(self): helpers.assert_output_names(text, "y")

@pytest.mark.seeded_defect(gate="nope", kind="produkt")
def test_typo(): assert_gate_caught(result, "z")
"""


def test_scanner_reads_markers_kinds_and_helper_calls_from_source() -> None:
    """Functions and methods are found; a test that never calls a helper is flagged."""
    found = {t.where.split("::")[1]: t for t in scan_source(SOURCE, "t.py")}
    assert set(found) == {"test_good", "test_silent", "test_method", "test_typo"}
    assert found["test_good"] == SeededTest("t.py::test_good", "g", "product", True)
    assert not found["test_silent"].calls_helper
    assert found["test_method"].calls_helper
    assert found["test_silent"].problems(["g"]) == [
        "t.py::test_silent: never calls assert_gate_caught or assert_output_names, so it cannot prove a catch"
    ]
    typo = found["test_typo"].problems(["g", "h"])
    assert any("unknown gate 'nope'" in p for p in typo) and any("'produkt'" in p for p in typo)


def test_coverage_counts_only_valid_tests_and_names_missing_kinds() -> None:
    """A gate whose config test asserts nothing still lacks a config test; an untested gate lacks both."""
    tests = scan_source(SOURCE, "t.py")
    assert coverage_problems(tests, ["g", "h", "untested"]) == {
        "g": ["config"],
        "h": ["product"],
        "untested": list(KINDS),
    }
