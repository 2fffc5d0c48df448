"""The Python client package, installed as a user installs it, against the real daemon.

Makes a new virtual environment, `pip install ./clients/python` (plus pytest) into it, and
runs the package's pytest suite (clients/python/tests) with STREAMSMOTE_BIN set to the
binary: Publisher → `streamsmote run --forward-real` → Feed with 20 000 events in each
codec, the exact wire format, a daemon restart, zero `streamsmote_messages_lost_total`.

The environment sees the system's site-packages (--system-site-packages), so the
dependencies already installed (pyzmq, protobuf, pytest, numpy, scikit-learn, river) are
reused rather than downloaded again. Measured on the 2-core machine, pip caches warm: the
install takes about 4.5 s of CPU (10–17 s wall, loaded machine) this way, against 10.4 s of
CPU (33 s wall) for a venv of its own with pytest and numpy, where the scikit-learn and river
tests would be skipped. That the package needs nothing but its declared dependencies is
checked by test_imports_only_declared_dependencies instead.
pip runs from the system's installation (`pip --python VENV`), which skips bootstrapping pip
into the venv. Exits non-zero on any failure, and if a daemon test was skipped.
Usage: python_client.py PATH/TO/streamsmote
"""
import os
import pathlib
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "clients" / "python"
BINARY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.environ.get("STREAMSMOTE_BIN", "streamsmote")


def run(command, **kwargs):
    started = time.monotonic()
    result = subprocess.run(command, **kwargs)
    print(f"python_client: {' '.join(str(c) for c in command[:6])} … exit {result.returncode} "
          f"in {time.monotonic() - started:.1f}s", flush=True)
    return result


def main():
    with tempfile.TemporaryDirectory(prefix="streamsmote-venv-") as tmp:
        venv = pathlib.Path(tmp) / "venv"
        if run([sys.executable, "-m", "venv", "--without-pip", "--system-site-packages", str(venv)]).returncode:
            return 1
        python = venv / "bin" / "python"
        # pip's wheel and HTTP caches stay on (the default), so a second run downloads nothing.
        install = run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
                       str(PACKAGE), "pytest"], cwd=tmp)
        if install.returncode:
            return 1
        where = subprocess.run([str(python), "-c", "import streamsmote; print(streamsmote.__file__)"],
                               capture_output=True, text=True, cwd=tmp)
        if not where.stdout.strip().startswith(str(venv)):
            print(f"python_client: streamsmote imported from {where.stdout.strip() or where.stderr}, not the venv")
            return 1
        env = dict(os.environ, STREAMSMOTE_BIN=BINARY, STREAMSMOTE_REQUIRE_BIN="1")
        env.pop("PYTHONPATH", None)
        # From the tests folder's parent but with the installed package: the tests import
        # `streamsmote` from site-packages (src/ is not on the path).
        tests = run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs", "--durations=5",
                     str(PACKAGE / "tests")], cwd=tmp, env=env)
        return tests.returncode


if __name__ == "__main__":
    sys.exit(main())
