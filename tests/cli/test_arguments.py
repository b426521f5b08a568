"""Command-line values refused before anything starts, naming the argument."""

from pathlib import Path

import pytest

from cli.main import main

WORLD = "tests/lab/worlds/small.json"


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["lab", "--day-seconds", "0"], "argument --day-seconds: 0 is not at least 1"),
        (["lab", "--day-seconds", "1.5"], "argument --day-seconds: '1.5' is not a whole number"),
        (["lab", "--timeout", "inf"], "argument --timeout: inf is not a number of seconds"),
        (["lab", "--timeout", "-3"], "argument --timeout: -3 is not a number of seconds"),
    ],
)
def test_a_lab_run_on_a_value_it_cannot_keep_is_refused_before_the_stack_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], said: str
) -> None:
    with pytest.raises(SystemExit) as refused:
        main([*argv, "--world", WORLD, "--out", str(tmp_path / "out")])
    assert refused.value.code == 2
    assert said in capsys.readouterr().err
    assert not (tmp_path / "out").exists(), "nothing started, nothing written"


def test_results_are_not_written_over_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    standing = tmp_path / "results"
    standing.write_text("someone's notes")
    with pytest.raises(SystemExit):
        main(["backtest", "--world", WORLD, "--out", str(standing)])
    assert f"argument --out: {standing} is a file, not a folder" in capsys.readouterr().err
    assert standing.read_text() == "someone's notes"


def test_a_file_that_cannot_be_written_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "backtest"
    assert main(["backtest", "--world", WORLD, "--out", str(out)]) == 0
    cases = str(out / "cases.jsonl")
    assert main(["learn", "--cases", cases, "--out", str(tmp_path)]) != 0
    assert f"error: [Errno 21] Is a directory: '{tmp_path}'" in capsys.readouterr().err
