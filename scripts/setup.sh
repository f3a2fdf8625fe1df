#!/usr/bin/env bash
# Installs what ksearch needs to build, from the distribution's packages, and nothing that is
# already there. Safe to run any number of times; on a machine that has everything (a GPU box
# without internet, say) it changes nothing and needs no network.
#
#   scripts/setup.sh           install what is missing
#   scripts/setup.sh --check   only report what is missing (exit 1 if anything is)
#
# The CUDA Toolkit (12 or newer, for NVRTC and the driver API headers) is not in Debian's or
# Ubuntu's archive at a usable version; it is checked, not installed: get it from NVIDIA.
set -euo pipefail

check_only=0
case "${1:-}" in
  --check) check_only=1 ;;
  -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  "") ;;
  *) echo "setup.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
esac

# Tools count as present when they are on PATH, however they were installed (the GPU boxes have
# cmake and ninja from pip); libraries are looked up as packages, '|' between alternatives (the
# first one is what gets installed).
tools=("g++:g++" "cmake:cmake" "ninja:ninja-build")
libraries=(
  "libcurl4-openssl-dev|libcurl4-gnutls-dev"
  "nlohmann-json3-dev"
  "libcli11-dev"
  "libspdlog-dev"
  "libgtest-dev"
)

is_installed() {
  [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

missing=()
for tool in "${tools[@]}"; do
  command -v "${tool%%:*}" >/dev/null 2>&1 || missing+=("${tool#*:}")
done
if command -v dpkg-query >/dev/null 2>&1; then
  for requirement in "${libraries[@]}"; do
    satisfied=0
    IFS='|' read -r -a alternatives <<< "$requirement"
    for package in "${alternatives[@]}"; do
      if is_installed "$package"; then satisfied=1; break; fi
    done
    [ "$satisfied" = 1 ] || missing+=("${alternatives[0]}")
  done
else
  echo "setup.sh: no dpkg here; make sure these are installed: ${libraries[*]//|/ or }" >&2
fi

if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$check_only" = 1 ]; then
    echo "setup.sh: missing packages: ${missing[*]}" >&2
    exit 1
  fi
  echo "setup.sh: installing ${missing[*]}" >&2
  sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "setup.sh: need root or sudo to install ${missing[*]}" >&2; exit 1; }
    sudo_cmd=(sudo)
  fi
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup.sh: all build tools and libraries present" >&2
fi

# CMakeLists.txt needs CMake 3.25 (Debian 12's); an older one fails with a less direct message.
cmake_version="$(cmake --version | sed -n 's/^cmake version \([0-9]*\.[0-9]*\).*/\1/p')"
if [ "$(printf '%s\n3.25\n' "$cmake_version" | sort -V | head -n 1)" != "3.25" ]; then
  echo "setup.sh: cmake $cmake_version is older than 3.25 (fix: install a newer cmake, e.g. pip install cmake)" >&2
  exit 1
fi

# The CUDA Toolkit: CMake's FindCUDAToolkit looks at nvcc on PATH, $CUDAToolkit_ROOT and
# /usr/local/cuda; check the same places so the error comes here, with the fix.
cuda_root="${CUDAToolkit_ROOT:-}"
if [ -z "$cuda_root" ] && command -v nvcc >/dev/null 2>&1; then cuda_root="$(dirname "$(dirname "$(command -v nvcc)")")"; fi
if [ -z "$cuda_root" ] && [ -x /usr/local/cuda/bin/nvcc ]; then cuda_root=/usr/local/cuda; fi
if [ -z "$cuda_root" ] || ! ls "$cuda_root"/lib64/libnvrtc.so* "$cuda_root"/targets/*/lib/libnvrtc.so* >/dev/null 2>&1; then
  echo "setup.sh: CUDA Toolkit not found (need NVRTC: libnvrtc.so and cuda.h)." >&2
  echo "  fix: install CUDA Toolkit 12 or 13 from https://developer.nvidia.com/cuda-downloads" >&2
  echo "       (or set CUDAToolkit_ROOT to where it is installed)" >&2
  exit 1
fi
echo "setup.sh: CUDA Toolkit at $cuda_root ($("$cuda_root"/bin/nvcc --version 2>/dev/null | sed -n 's/.*release \([0-9.]*\).*/\1/p'))" >&2
