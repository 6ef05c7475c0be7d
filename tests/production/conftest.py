"""Fault, load and fuzz tests of the production set-up."""


def pytest_terminal_summary(terminalreporter):
    from tests.production.test_api_fuzz import FUZZ_TALLY

    if FUZZ_TALLY:
        figures = ", ".join(f"{count:,} {name}" for name, count in sorted(FUZZ_TALLY.items()))
        terminalreporter.write_line(f"API fuzz: {figures}")
