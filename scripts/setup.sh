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

# The CUDA Toolkit. nvcc on PATH may be a wrapper script (some images put one in /usr/local/bin
# that execs the real one), so its directory proves nothing: look at every usual root and take the
# first that has both cuda.h and libnvrtc. CMake's FindCUDAToolkit asks nvcc itself and agrees.
has_toolkit() {
  [ -f "$1/include/cuda.h" ] || return 1
  compgen -G "$1/lib64/libnvrtc.so*" >/dev/null || compgen -G "$1/lib/libnvrtc.so*" >/dev/null ||
    compgen -G "$1/targets/*/lib/libnvrtc.so*" >/dev/null || compgen -G "$1/lib/*-linux-gnu/libnvrtc.so*" >/dev/null
}
candidates=("${CUDAToolkit_ROOT:-}" "${CUDA_HOME:-}" "${CUDA_PATH:-}")
if command -v nvcc >/dev/null 2>&1; then
  candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v nvcc)")")")")
fi
candidates+=(/usr/local/cuda /usr/local/cuda-* /usr)
cuda_root=""
for candidate in "${candidates[@]}"; do
  if [ -n "$candidate" ] && has_toolkit "$candidate"; then cuda_root="$candidate"; break; fi
done
if [ -z "$cuda_root" ]; then
  echo "setup.sh: CUDA Toolkit not found (need NVRTC: libnvrtc.so and cuda.h)." >&2
  echo "  looked in: \$CUDAToolkit_ROOT, \$CUDA_HOME, \$CUDA_PATH, nvcc's install, /usr/local/cuda*, /usr" >&2
  echo "  fix: install CUDA Toolkit 12 or 13 from https://developer.nvidia.com/cuda-downloads" >&2
  echo "       (or set CUDAToolkit_ROOT to where it is installed)" >&2
  exit 1
fi
# CUPTI (the timer's clock) ships with the toolkit, in include/ and lib*/ or under extras/CUPTI.
has_cupti() {
  { [ -f "$1/include/cupti.h" ] || [ -f "$1/extras/CUPTI/include/cupti.h" ]; } || return 1
  compgen -G "$1/lib64/libcupti.so*" >/dev/null || compgen -G "$1/lib/libcupti.so*" >/dev/null ||
    compgen -G "$1/extras/CUPTI/lib64/libcupti.so*" >/dev/null || compgen -G "$1/targets/*/lib/libcupti.so*" >/dev/null ||
    compgen -G "$1/lib/*-linux-gnu/libcupti.so*" >/dev/null
}
if ! has_cupti "$cuda_root"; then
  echo "setup.sh: the CUDA Toolkit at $cuda_root has no CUPTI (cupti.h and libcupti.so), which ksearch times with." >&2
  echo "  fix: install the full toolkit, or its CUPTI component (NVIDIA's package cuda-cupti-dev-<version>)" >&2
  exit 1
fi
nvcc_version="$("$cuda_root"/bin/nvcc --version 2>/dev/null | sed -n 's/.*release \([0-9.]*\).*/\1/p' || true)"
echo "setup.sh: CUDA Toolkit at $cuda_root (${nvcc_version:-version unknown})" >&2
