#!/usr/bin/env bash
# Regenerates the Protocol Buffers code from Sources/StreamSMOTEService/Codec/streamsmote.proto:
#   - Sources/StreamSMOTEService/Codec/streamsmote.pb.swift (committed; public visibility)
#   - examples/streamsmote_pb2.py                            (committed; for Python producers)
#   - clients/python/src/streamsmote/streamsmote_pb2.py      (committed; the same file, shipped
#                                                              in the streamsmote package)
# then checks that the Python module imports with the installed protobuf runtime.
#
# protoc-gen-swift comes from $PROTOC_GEN_SWIFT, or PATH, or is built from the package's own
# swift-protobuf checkout (the version Package.resolved pins, so the generated code matches
# the runtime). protoc is installed with apt-get when missing.
#
# Usage: scripts/generate-proto.sh        (from anywhere inside the repository)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
proto_dir="Sources/StreamSMOTEService/Codec"
proto="$proto_dir/streamsmote.proto"

if ! command -v protoc >/dev/null 2>&1; then
    echo "protoc not found; installing protobuf-compiler" >&2
    if [ "$(id -u)" -eq 0 ]; then
        apt-get update -qq && apt-get install -y -qq protobuf-compiler
    else
        sudo apt-get update -qq && sudo apt-get install -y -qq protobuf-compiler
    fi
fi

plugin="${PROTOC_GEN_SWIFT:-}"
if [ -z "$plugin" ]; then
    plugin="$(command -v protoc-gen-swift || true)"
fi
if [ -z "$plugin" ]; then
    checkout=".build/checkouts/swift-protobuf"
    if [ ! -d "$checkout" ]; then
        swift package resolve
    fi
    plugin="$checkout/.build/release/protoc-gen-swift"
    if [ ! -x "$plugin" ]; then
        echo "building protoc-gen-swift from $checkout (takes a few minutes)" >&2
        swift build -c release --product protoc-gen-swift --package-path "$checkout"
    fi
fi

echo "protoc: $(protoc --version); plugin: $plugin" >&2
protoc --plugin=protoc-gen-swift="$plugin" \
    --swift_out="$proto_dir" --swift_opt=Visibility=Public \
    -I "$proto_dir" "$proto"
mkdir -p examples
protoc --python_out=examples -I "$proto_dir" "$proto"
cp examples/streamsmote_pb2.py clients/python/src/streamsmote/streamsmote_pb2.py

# The generated Python must load with the runtime users will have.
if command -v python3 >/dev/null 2>&1; then
    (cd examples && python3 -W error::UserWarning -c \
        'import streamsmote_pb2 as pb; e = pb.Event(id="a", label="b", features=[1.0]); assert pb.Event.FromString(e.SerializeToString()) == e')
fi
echo "generated $proto_dir/streamsmote.pb.swift, examples/streamsmote_pb2.py and its copy in clients/python" >&2
