"""Runs every oracle script in this folder against a built `streamsmote` binary.

Each script takes the binary's path as argv[1], exits non-zero on a disagreement and prints
its own summary. This prints the closing line `N passed, N failed` and exits 1 on a failure.
Scripts whose names start with `_` are helpers, not oracles.
"""
import pathlib
import subprocess
import sys
import time

here = pathlib.Path(__file__).resolve().parent
binary = sys.argv[1] if len(sys.argv) > 1 else "streamsmote"
scripts = sorted(p for p in here.glob("*.py") if p.name != "run_all.py" and not p.name.startswith("_"))
passed = failed = 0
for script in scripts:
    start = time.monotonic()
    result = subprocess.run([sys.executable, str(script), binary], cwd=here.parent.parent)
    status = "ok" if result.returncode == 0 else f"FAILED (exit {result.returncode})"
    print(f"oracle {script.name}: {status} in {time.monotonic() - start:.1f}s", flush=True)
    if result.returncode == 0:
        passed += 1
    else:
        failed += 1
print(f"oracles: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
