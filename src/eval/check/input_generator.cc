#include "ksearch/eval/check/input_generator.h"

#include <algorithm>
#include <cmath>

#include "ksearch/eval/compile/nvrtc_compiler.h"

namespace ksearch::eval {

namespace {

// The generator kernels. Each thread walks a grid-stride loop; every value depends only on
// (seed, index), so the launch shape does not change the data.
constexpr const char* generator_source = R"cuda(
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_fp8.h>

typedef unsigned long long u64;

__device__ __forceinline__ u64 mix64(u64 x) {
  x ^= x >> 30; x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27; x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}
// Uniform in (0, 1]: 24 random bits, never 0 so log() below is finite.
__device__ __forceinline__ float uniform01(u64 seed, u64 i, u64 lane) {
  return ((mix64(seed ^ mix64(2 * i + lane)) >> 40) + 1) * (1.0f / 16777216.0f);
}
__device__ __forceinline__ float normal(u64 seed, u64 i) {
  const float u1 = uniform01(seed, i, 0), u2 = uniform01(seed, i, 1);
  return sqrtf(-2.0f * logf(u1)) * cospif(2.0f * u2);
}
#define GRID_STRIDE(i, n) for (u64 i = blockIdx.x * (u64)blockDim.x + threadIdx.x; i < (n); i += (u64)gridDim.x * blockDim.x)

extern "C" __global__ void ks_fill_f32(float* out, u64 n, u64 seed) { GRID_STRIDE(i, n) out[i] = normal(seed, i); }
extern "C" __global__ void ks_fill_f16(__half* out, u64 n, u64 seed) { GRID_STRIDE(i, n) out[i] = __float2half_rn(normal(seed, i)); }
extern "C" __global__ void ks_fill_bf16(__nv_bfloat16* out, u64 n, u64 seed) { GRID_STRIDE(i, n) out[i] = __float2bfloat16_rn(normal(seed, i)); }
extern "C" __global__ void ks_fill_e4m3(__nv_fp8_storage_t* out, u64 n, u64 seed) {
  GRID_STRIDE(i, n) out[i] = __nv_cvt_float_to_fp8(fminf(fmaxf(normal(seed, i), -2.0f), 2.0f), __NV_SATFINITE, __NV_E4M3);
}
extern "C" __global__ void ks_fill_e5m2(__nv_fp8_storage_t* out, u64 n, u64 seed) {
  GRID_STRIDE(i, n) out[i] = __nv_cvt_float_to_fp8(fminf(fmaxf(normal(seed, i), -2.0f), 2.0f), __NV_SATFINITE, __NV_E5M2);
}
// A named distribution (tasks/value_distribution.h), drawn in float32: kind 1 normal(a, b),
// 2 cauchy(a, b), 3 uniform [a, b), 4 integers in [a, b), 5 the constant a.
__device__ __forceinline__ float drawn(u64 seed, u64 i, int kind, float a, float b) {
  const float u = uniform01(seed, i, 0) - (1.0f / 16777216.0f);  // [0, 1)
  switch (kind) {
    case 1: return a + b * normal(seed, i);
    case 2: return a + b * tanf(3.14159265358979f * (u - 0.5f));
    case 3: return a + (b - a) * u;
    case 4: return fminf(floorf(a + (b - a) * u), b - 1.0f);
    default: return a;
  }
}
extern "C" __global__ void ks_fill_dist_f32(float* out, u64 n, u64 seed, int kind, float a, float b) {
  GRID_STRIDE(i, n) out[i] = drawn(seed, i, kind, a, b);
}
extern "C" __global__ void ks_fill_dist_f16(__half* out, u64 n, u64 seed, int kind, float a, float b) {
  GRID_STRIDE(i, n) out[i] = __float2half_rn(drawn(seed, i, kind, a, b));
}
extern "C" __global__ void ks_fill_dist_bf16(__nv_bfloat16* out, u64 n, u64 seed, int kind, float a, float b) {
  GRID_STRIDE(i, n) out[i] = __float2bfloat16_rn(drawn(seed, i, kind, a, b));
}
// Integers uniform in [low, low + span), written with the element size `bytes` (1, 2, 4 or 8).
extern "C" __global__ void ks_fill_int(unsigned char* out, u64 n, u64 seed, long long low, u64 span, int bytes) {
  GRID_STRIDE(i, n) {
    const long long v = low + (long long)(mix64(seed ^ mix64(2 * i)) % span);
    if (bytes == 1) ((signed char*)out)[i] = (signed char)v;
    else if (bytes == 2) ((short*)out)[i] = (short)v;
    else if (bytes == 4) ((int*)out)[i] = (int)v;
    else ((long long*)out)[i] = v;
  }
}
// Sum (mod 2^64) of mix(position, byte): order-independent, so atomics give a stable result.
extern "C" __global__ void ks_checksum(const unsigned char* data, u64 n, u64* out) {
  u64 local = 0;
  GRID_STRIDE(i, n) local += mix64((i << 8) ^ data[i] ^ 0x9e3779b97f4a7c15ULL);
  atomicAdd(out, local);
}
)cuda";

struct int_range {
  long long low;
  unsigned long long span;
};

int_range range_for(dtype type) {
  switch (type) {
    case dtype::boolean: return {0, 2};
    case dtype::int8: return {-128, 256};
    case dtype::uint8: return {0, 256};
    default: return {-1024, 2048};
  }
}

}  // namespace

result<input_generator> input_generator::create(const cuda_driver& driver, const std::string& arch, int num_sms) {
  auto compiled = compile_cuda({.source = generator_source, .file_name = "ksearch_input_generator.cu", .arch = arch});
  if (!compiled) return std::unexpected(compiled.error());
  auto module = cuda_module::load(driver, compiled->cubin);
  if (!module) return std::unexpected(module.error());
  auto scratch = device_buffer::allocate(driver, sizeof(std::uint64_t));
  if (!scratch) return std::unexpected(scratch.error());
  return input_generator(driver, std::move(*module), std::move(*scratch), num_sms);
}

result<void> input_generator::launch(const char* kernel, std::size_t work_items, void** params, CUstream stream) const {
  auto function = module_.function(kernel);
  if (!function) return std::unexpected(function.error());
  constexpr unsigned threads = 256;
  // Enough blocks to fill the GPU; the grid-stride loop covers the rest.
  const std::size_t wanted = (work_items + threads - 1) / threads;
  const auto blocks = static_cast<unsigned>(std::max<std::size_t>(1, std::min<std::size_t>(wanted, static_cast<std::size_t>(num_sms_) * 16)));
  const cuda_driver& driver = *driver_;
  KSEARCH_CU_TRY(driver, cuLaunchKernel, *function, blocks, 1, 1, threads, 1, 1, 0, stream, params, nullptr);
  return {};
}

result<void> input_generator::fill(CUdeviceptr pointer, dtype type, std::size_t count, std::uint64_t seed,
                                   CUstream stream, const tasks::value_distribution& distribution) const {
  if (count == 0) return {};
  if (!distribution.is_standard()) return fill_distribution(pointer, type, count, seed, stream, distribution);
  unsigned long long n = count;
  unsigned long long s = seed;
  void* float_params[] = {&pointer, &n, &s};
  switch (type) {
    case dtype::float32: return launch("ks_fill_f32", count, float_params, stream);
    case dtype::float16: return launch("ks_fill_f16", count, float_params, stream);
    case dtype::bfloat16: return launch("ks_fill_bf16", count, float_params, stream);
    case dtype::float8_e4m3fn: return launch("ks_fill_e4m3", count, float_params, stream);
    case dtype::float8_e5m2: return launch("ks_fill_e5m2", count, float_params, stream);
    default: break;
  }
  const int_range range = range_for(type);
  long long low = range.low;
  unsigned long long span = range.span;
  int bytes = static_cast<int>(size_bytes(type));
  void* int_params[] = {&pointer, &n, &s, &low, &span, &bytes};
  return launch("ks_fill_int", count, int_params, stream);
}

result<void> input_generator::fill_distribution(CUdeviceptr pointer, dtype type, std::size_t count, std::uint64_t seed,
                                                CUstream stream, const tasks::value_distribution& distribution) const {
  using kind = tasks::value_distribution::kind;
  unsigned long long n = count;
  unsigned long long s = seed;
  if (is_floating(type)) {
    const char* kernel = type == dtype::float32    ? "ks_fill_dist_f32"
                         : type == dtype::float16  ? "ks_fill_dist_f16"
                         : type == dtype::bfloat16 ? "ks_fill_dist_bf16"
                                                   : nullptr;
    if (kernel == nullptr) {
      return fail("input distribution " + distribution.describe(), "not supported for " + std::string(name(type)),
                  "fp8 inputs take the default draw");
    }
    int kind_code = static_cast<int>(distribution.type);  // the kernel's codes follow the enum's order
    float a = static_cast<float>(distribution.a);
    float b = static_cast<float>(distribution.b);
    void* params[] = {&pointer, &n, &s, &kind_code, &a, &b};
    return launch(kernel, count, params, stream);
  }
  // Integers and bool: only whole-number ranges and constants make sense.
  long long low = 0;
  unsigned long long span = 1;
  if (distribution.type == kind::randint) {
    low = static_cast<long long>(std::ceil(distribution.a));
    span = static_cast<unsigned long long>(std::max(1.0, std::ceil(distribution.b) - static_cast<double>(low)));
  } else if (distribution.type == kind::constant) {
    low = std::llround(distribution.a);
  } else {
    return fail("input distribution " + distribution.describe(), "not supported for " + std::string(name(type)),
                "integer inputs take randint or constant");
  }
  int bytes = static_cast<int>(size_bytes(type));
  void* params[] = {&pointer, &n, &s, &low, &span, &bytes};
  return launch("ks_fill_int", count, params, stream);
}

result<std::uint64_t> input_generator::checksum(CUdeviceptr pointer, std::size_t bytes, CUstream stream) const {
  const cuda_driver& driver = *driver_;
  KSEARCH_CU_TRY(driver, cuMemsetD8Async, scratch_.get(), 0, sizeof(std::uint64_t), stream);
  unsigned long long n = bytes;
  CUdeviceptr accumulator = scratch_.get();
  void* params[] = {&pointer, &n, &accumulator};
  if (auto launched = launch("ks_checksum", bytes, params, stream); !launched) return std::unexpected(launched.error());
  KSEARCH_CU_TRY(driver, cuStreamSynchronize, stream);
  std::uint64_t value = 0;
  if (auto copied = scratch_.download(&value, sizeof value); !copied) return std::unexpected(copied.error());
  return value;
}

}  // namespace ksearch::eval
