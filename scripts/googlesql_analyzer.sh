#!/usr/bin/env bash
# Google's GoogleSQL analyzer (BigQuery's SQL, formerly ZetaSQL) for the offline SQL gate of the tests.
#
#   scripts/googlesql_analyzer.sh install   # idempotent; npm registry only; pinned, checksum-verified
#   scripts/googlesql_analyzer.sh serve [PORT]   # run the analyzer's gRPC server in the foreground
#   scripts/googlesql_analyzer.sh check     # exit 0 when installed
#   scripts/googlesql_analyzer.sh clean     # remove .venv-googlesql/
#
# Why this shape:
# - Google ships the analyzer as C++ only; the npm package @fivetrandevelopers/zetasql carries a
#   Linux x86-64 build of its gRPC "local service" (lib/zetasql/remote_server.so, an executable
#   despite the name) and the service's .proto files. Nothing else on the reachable registries has it.
# - `npm pack` fetches the pinned tarball without running any install script; its sha512 is checked
#   against the registry's integrity value recorded below. The tarball is cached outside the clone
#   (~110 MB), so a fresh clone on the same machine installs without downloading.
# - The Python stubs are generated from the package's own protos with grpc_tools (a test extra of
#   the project's .venv), so client and server speak the same protocol version.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HOME_DIR="${GOOGLESQL_ANALYZER_HOME:-$ROOT/.venv-googlesql}"
PACKAGE="@fivetrandevelopers/zetasql"
VERSION="1.13.0"
TARBALL="fivetrandevelopers-zetasql-$VERSION.tgz"
INTEGRITY="sha512-yX9Apa968np2Tc+Hrf4Bf6Gz77kQVLIDLaNwovM91VBwyDTDF1C6oglUqmlU6Fe5/TVCExsnIueWiPahrYEITQ=="
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/measure-dagster"
PYTHON="${GOOGLESQL_PYTHON:-$ROOT/.venv/bin/python}"
STAMP="$HOME_DIR/.installed-$VERSION"

integrity_of() { echo "sha512-$(openssl dgst -sha512 -binary "$1" | base64 -w0)"; }

install() {
  if [[ -f "$STAMP" ]]; then return 0; fi
  mkdir -p "$CACHE"
  if [[ ! -f "$CACHE/$TARBALL" ]] || [[ "$(integrity_of "$CACHE/$TARBALL")" != "$INTEGRITY" ]]; then
    echo "googlesql-analyzer: fetching $PACKAGE@$VERSION from the npm registry"
    (cd "$CACHE" && npm pack --silent "$PACKAGE@$VERSION" >/dev/null)
  fi
  local actual
  actual="$(integrity_of "$CACHE/$TARBALL")"
  if [[ "$actual" != "$INTEGRITY" ]]; then
    echo "googlesql-analyzer: checksum mismatch for $TARBALL: $actual" >&2
    exit 1
  fi
  rm -rf "$HOME_DIR"
  mkdir -p "$HOME_DIR/python"
  tar -xzf "$CACHE/$TARBALL" -C "$HOME_DIR" package/lib/zetasql/remote_server.so package/lib/zetasql/protos
  mv "$HOME_DIR/package/lib/zetasql/remote_server.so" "$HOME_DIR/remote_server"
  mv "$HOME_DIR/package/lib/zetasql/protos" "$HOME_DIR/protos"
  rm -rf "$HOME_DIR/package"
  chmod +x "$HOME_DIR/remote_server"
  local include
  include="$("$PYTHON" -c 'import grpc_tools, os; print(os.path.join(os.path.dirname(grpc_tools.__file__), "_proto"))')"
  (cd "$HOME_DIR/protos" && find . -name '*.proto' -print0 | xargs -0 "$PYTHON" -m grpc_tools.protoc \
      -I . -I "$include" --python_out="$HOME_DIR/python" --grpc_python_out="$HOME_DIR/python")
  touch "$STAMP"
  echo "googlesql-analyzer: $PACKAGE@$VERSION installed in $HOME_DIR"
}

case "${1:-}" in
  install) install ;;
  serve) exec "$HOME_DIR/remote_server" localhost "${2:-50051}" ;;
  check) [[ -f "$STAMP" && -x "$HOME_DIR/remote_server" ]] ;;
  clean) rm -rf "$HOME_DIR" ;;
  *) sed -n '2,7p' "$0"; exit 2 ;;
esac
