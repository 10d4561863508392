#!/usr/bin/env bash
# Installs what twopc needs to build, test and run (Debian/Ubuntu, apt).
# Installs only the packages dpkg reports missing. Runs as root, or through
# sudo when it is available.
set -euo pipefail

PACKAGES=(
  thrift-compiler libthrift-dev libboost-dev libgoogle-glog-dev libgflags-dev
  libgtest-dev libgmock-dev libsqlite3-dev sqlite3 cmake g++ make pkg-config
  clang-format clang-14 libclang-rt-14-dev libssl-dev openssl python3-thrift
  prometheus-cpp-dev chromium dpkg-dev etcd-server etcd-client
)

missing=()
for package in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$package")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install_deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install_deps: missing ${missing[*]} and no apt-get here: install them by hand" >&2
  exit 1
fi

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo_cmd=(sudo)
  else
    echo "install_deps: missing ${missing[*]}; run as root or install sudo" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
install() {
  "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
}

echo "install_deps: installing ${missing[*]}"
if ! install; then
  echo "install_deps: refreshing the package lists and retrying"
  "${sudo_cmd[@]}" apt-get update -q
  install
fi
