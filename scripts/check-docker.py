"""Validates docker-compose.yml and the Dockerfile without a Docker engine.

- docker-compose.yml against the Compose Specification JSON schema (the copy shipped in the
  docker-compose 1.29.2 wheel on PyPI, downloaded once into .build/ci-cache), plus what the
  schema cannot see: build contexts and Dockerfiles exist, every `streamsmote` subcommand a
  service runs exists, and each service's connect endpoints name a service that binds them.
- The Dockerfile parsed with dockerfile-parse: known instructions, a named build stage for
  every `COPY --from`, sources of COPY present in the build context.
Prints one line per check and exits 1 on any failure.
"""
import json
import pathlib
import re
import shlex
import subprocess
import sys
import tempfile
import zipfile

import jsonschema
import yaml
from dockerfile_parse import DockerfileParser

root = pathlib.Path(__file__).resolve().parent.parent
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def compose_schema():
    cache = root / ".build" / "ci-cache"
    cache.mkdir(parents=True, exist_ok=True)
    wheels = list(cache.glob("docker_compose-1.29.2-*.whl"))
    if not wheels:
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", str(cache),
                        "docker-compose==1.29.2"], check=True)
        wheels = list(cache.glob("docker_compose-1.29.2-*.whl"))
    with zipfile.ZipFile(wheels[0]) as wheel:
        return json.loads(wheel.read("compose/config/compose_spec.json"))


compose = yaml.safe_load((root / "docker-compose.yml").read_text())
try:
    jsonschema.validate(compose, compose_schema())
    check(True, "docker-compose.yml matches the Compose Specification schema")
except jsonschema.ValidationError as error:
    check(False, f"docker-compose.yml schema: {error.message} at {list(error.absolute_path)}")

binary = sys.argv[1] if len(sys.argv) > 1 else None
services = compose.get("services", {})
for name, service in services.items():
    build = service.get("build")
    if build:
        context = root / (build if isinstance(build, str) else build.get("context", "."))
        dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
        check((context / dockerfile).is_file(), f"service {name}: {dockerfile} exists in {context.relative_to(root)}")
    command = service.get("command")
    if isinstance(command, str):
        command = shlex.split(command)
    entry = service.get("entrypoint")
    words = ([entry] if isinstance(entry, str) else (entry or [])) + (command or [])
    text = " ".join(words)
    for host, port in re.findall(r"tcp://([A-Za-z][\w-]*):(\d+)", text):
        if host in services:
            target = services[host]
            target_text = " ".join(str(w) for w in (target.get("command") or []))
            check(f"tcp://0.0.0.0:{port}" in target_text or f"tcp://*:{port}" in target_text,
                  f"service {name}: {host}:{port} is bound by service {host}")
    # Services built from the top-level Dockerfile run `streamsmote` as their entrypoint.
    runs_streamsmote = build == "." and not entry
    if runs_streamsmote and command and binary:
        result = subprocess.run([binary, command[0], "--help"], capture_output=True, text=True)
        # An unknown subcommand prints the top-level help, also with status 0.
        exists = result.returncode == 0 and f"USAGE: streamsmote {command[0]}" in result.stdout
        check(exists, f"service {name}: `streamsmote {command[0]}` exists")

for path in [root / "Dockerfile", *sorted((root / "examples").glob("Dockerfile*"))]:
    if not path.exists():
        continue
    parser = DockerfileParser(path=tempfile.mkdtemp())
    parser.content = path.read_text()
    known = {"FROM", "RUN", "CMD", "LABEL", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT", "VOLUME",
             "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL", "COMMENT"}
    instructions = parser.structure
    check(all(i["instruction"] in known for i in instructions), f"{path.name}: known instructions only")
    check(instructions and instructions[0]["instruction"] in {"FROM", "ARG", "COMMENT"}, f"{path.name}: starts with FROM")
    stages = {m.group(1) for i in instructions if i["instruction"] == "FROM"
              for m in [re.search(r"\bAS\s+(\S+)", i["value"], re.I)] if m}
    for i in instructions:
        if i["instruction"] != "COPY":
            continue
        parts = shlex.split(i["value"])
        source_stage = next((p.split("=", 1)[1] for p in parts if p.startswith("--from=")), None)
        sources = [p for p in parts if not p.startswith("--")][:-1]
        if source_stage:
            check(source_stage in stages, f"{path.name}: COPY --from={source_stage} names a stage")
        else:
            # Every image here builds with the repository root as its context.
            for source in sources:
                check(any(root.glob(source)), f"{path.name}: COPY source {source} exists")

print(f"docker checks: {len(failures) == 0 and 'all passed' or str(len(failures)) + ' failed'}")
sys.exit(1 if failures else 0)
