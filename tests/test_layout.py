"""The layout keeps its promises: production code stands apart from the test stand-ins."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent


def imported_modules(folder: str) -> set[str]:
    found: set[str] = set()
    for path in (ROOT / folder).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                found.add(node.module)
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
    return found


def test_the_production_cli_loads_nothing_from_the_sandbox() -> None:
    probe = "import sys, cli.main; print(sorted(m for m in sys.modules if m.startswith('sandbox')))"
    loaded = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert loaded.stdout.strip() == "[]"


def test_the_benchmarks_import_nothing_from_the_tests() -> None:
    assert not {m for m in imported_modules("bench") if m.split(".")[0] == "tests"}


def test_the_domain_core_imports_no_temporal_and_no_provider_client() -> None:
    outside = {m.split(".")[0] for m in imported_modules("dunning")}
    assert not outside & {"temporalio", "stripe", "hubspot", "sendgrid", "aiohttp"}
