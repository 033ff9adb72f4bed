"""Process entry point (`git-model` and `python -m git_model`).

`filter-process` is started by Git for every `git add`, `checkout` or `status` that touches a
model, and its start-up is time Git waits for. It therefore skips click and the other command
modules (~50 ms of imports) and exits without interpreter teardown once Git closes the pipe.
Every other command goes through the click CLI.
"""

from __future__ import annotations

import os
import sys
from typing import Callable, NoReturn

# numpy's OpenBLAS starts one busy-waiting thread per core at import; git-model never calls
# BLAS, and on two cores those threads took ~5% of the CPU from hashing and chunking.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")


def guarded(run: Callable[[], object]) -> None:
    """Run a command; our errors become one line on stderr and the documented exit code."""
    from git_model.errors import GitModelError

    try:
        run()
    except GitModelError as err:
        sys.stderr.write(f"git-model: {err}\n")
        sys.exit(err.exit_code)
    except BrokenPipeError:
        sys.exit(141)
    except KeyboardInterrupt:
        sys.stderr.write("git-model: aborted\n")
        sys.exit(130)


def _filter_process(args: list[str]) -> NoReturn:
    from git_model.git.filter_process import run_for_git

    if any(a not in ("--skip",) for a in args):
        sys.stderr.write(f"git-model: filter-process: unexpected arguments {' '.join(args)}\n")
        sys.exit(2)
    guarded(lambda: run_for_git(skip="--skip" in args))
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # everything is durable and answered; interpreter teardown is only delay


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["filter-process"] and argv is None:
        _filter_process(args[1:])
    from git_model.cli import main as cli_main

    cli_main(args)
