"""Exit 0 when every requirement in the file is importable at a matching name, 1 otherwise.

Keeps `make` from calling pip (slow, and noisy) on a machine that already has everything.
"""
import importlib.util
import sys

# Distribution names whose import name differs.
IMPORT_NAMES = {
    "scikit-learn": "sklearn",
    "imbalanced-learn": "imblearn",
    "pyzmq": "zmq",
    "nats-py": "nats",
    "protobuf": "google.protobuf",
    "PyYAML": "yaml",
    "dockerfile-parse": "dockerfile_parse",
}

missing = []
for line in open(sys.argv[1]):
    name = line.split("#")[0].strip().split("==")[0].split(">=")[0].strip()
    if not name:
        continue
    module = IMPORT_NAMES.get(name, name.replace("-", "_"))
    try:
        found = importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        found = False
    if not found:
        missing.append(name)
if missing:
    print("missing Python packages:", " ".join(missing))
    sys.exit(1)
