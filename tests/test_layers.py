"""The apps depend one way: each imports only the apps below it (README, "Architecture").

Walks every module of the project's packages with ``ast`` (imports inside functions too) and
fails on an import that goes up or sideways, so a shortcut across the layers is caught when it
is written, not when the code has grown around it."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Bottom to top. ``common`` imports no app; ``config`` wires them all and none imports it.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("common",),
    ("annotator",),
    ("reviews",),
    ("releases",),
    ("scoring", "agreement"),
    ("mistakes",),
    ("demo",),
    ("config",),
)
RANK = {package: rank for rank, layer in enumerate(LAYERS) for package in layer}


def imported_packages(source: str) -> set[str]:
    """The project packages that ``source`` imports, wherever the import statement stands."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found.update(name.split(".")[0] for name in names if name.split(".")[0] in RANK)
    return found


def wrong_imports(package: str, source: str) -> set[str]:
    """The packages that a module of ``package`` may not import but does."""
    return {
        other
        for other in imported_packages(source)
        if other != package and RANK[other] >= RANK[package]
    }


def project_modules():
    for package in RANK:
        for path in sorted((ROOT / package).rglob("*.py")):
            yield package, path


@pytest.mark.parametrize(
    ("package", "source", "wrong"),
    [
        ("reviews", "from annotator.models import ValImage", set()),
        ("reviews", "def f():\n    from releases.models import Release", {"releases"}),
        ("scoring", "import agreement.statistics", {"agreement"}),
        ("annotator", "from config.settings import DEBUG", {"config"}),
        ("common", "from annotator import catalogue", {"annotator"}),
        ("demo", "from scoring.models import ModelScore\nfrom common.rows import by_pk", set()),
    ],
)
def test_the_check_finds_imports_that_go_up_or_sideways(package, source, wrong):
    assert wrong_imports(package, source) == wrong


def test_every_app_imports_only_the_apps_below_it():
    offences = [
        f"{path.relative_to(ROOT)} imports {', '.join(sorted(wrong))}"
        for package, path in project_modules()
        if (wrong := wrong_imports(package, path.read_text()))
    ]
    assert offences == []


def test_every_project_package_has_a_layer():
    packages = {
        path.parent.name
        for path in ROOT.glob("*/__init__.py")
        if path.parent.name not in {"tests", "bench"}
    }
    assert packages == set(RANK)
