// Reference for gqa_decode_bench, written to be obviously right rather than fast.
//
// Block (b, h) computes query head h of batch row b against every key of kv head h / 4 (32 query
// heads share 8 kv heads, in groups of 4, as repeat_interleave does in the PyTorch reference):
//   1. logits[t] = sm_scale * dot(q[b, h, :], k_cache[b, t, h / 4, :])   one warp per key
//   2. m = max_t logits[t]; p[t] = exp(logits[t] - m); s = sum_t p[t]    block reductions
//   3. output[b, h, d] = sum_t p[t] * v_cache[b, t, h / 4, d] / s        thread d, dimension d
//   4. lse[b, h] = (m + log(s)) / log(2)                                 base-2 log-sum-exp
// Everything is accumulated in fp32. The logits live in dynamic shared memory (kv_len floats).
// A sequence without keys gives output 0 and lse -inf, as the PyTorch reference does.
#include <cuda_bf16.h>

namespace {

constexpr int kHeadDim = 128;
constexpr int kQoHeads = 32;
constexpr int kKvHeads = 8;
constexpr int kGroup = kQoHeads / kKvHeads;
constexpr int kWarps = kHeadDim / 32;  // the block has one thread per dimension

__device__ float negative_infinity() { return __int_as_float(0xff800000); }

// Sum (or max) of `value` over the block; every thread gets the result. `scratch` holds kWarps floats.
__device__ float block_reduce(float value, bool take_max, float* scratch) {
  for (int offset = 16; offset > 0; offset /= 2) {
    const float other = __shfl_xor_sync(0xffffffffu, value, offset);
    value = take_max ? fmaxf(value, other) : value + other;
  }
  if (threadIdx.x % 32 == 0) scratch[threadIdx.x / 32] = value;
  __syncthreads();
  float total = scratch[0];
  for (int w = 1; w < kWarps; ++w) total = take_max ? fmaxf(total, scratch[w]) : total + scratch[w];
  __syncthreads();  // scratch is reused by the next reduction
  return total;
}

}  // namespace

extern "C" __global__ void gqa_decode_bench_ref(const __nv_bfloat16* q, const __nv_bfloat16* k_cache,
                                                 const __nv_bfloat16* v_cache, float sm_scale,
                                                 __nv_bfloat16* output, float* lse, int kv_len) {
  extern __shared__ float logits[];  // [kv_len]: the logits, then the unnormalised probabilities
  __shared__ float q_row[kHeadDim];
  __shared__ float scratch[kWarps];
  const int b = blockIdx.x, h = blockIdx.y, g = h / kGroup;
  const int d = threadIdx.x, lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  const long long row = (long long)b * kQoHeads + h;

  if (kv_len == 0) {
    output[row * kHeadDim + d] = __float2bfloat16(0.f);
    if (d == 0) lse[row] = negative_infinity();
    return;
  }
  q_row[d] = __bfloat162float(q[row * kHeadDim + d]);
  __syncthreads();

  // 1. Logits.
  for (int t = warp; t < kv_len; t += kWarps) {
    const __nv_bfloat16* k = k_cache + (((long long)b * kv_len + t) * kKvHeads + g) * kHeadDim;
    float dot = 0.f;
    for (int i = lane; i < kHeadDim; i += 32) dot += q_row[i] * __bfloat162float(k[i]);
    for (int offset = 16; offset > 0; offset /= 2) dot += __shfl_xor_sync(0xffffffffu, dot, offset);
    if (lane == 0) logits[t] = dot * sm_scale;
  }
  __syncthreads();

  // 2. Softmax numerators and their sum.
  float m = negative_infinity();
  for (int t = d; t < kv_len; t += kHeadDim) m = fmaxf(m, logits[t]);
  m = block_reduce(m, true, scratch);
  float s = 0.f;
  for (int t = d; t < kv_len; t += kHeadDim) {
    const float p = expf(logits[t] - m);
    logits[t] = p;
    s += p;
  }
  s = block_reduce(s, false, scratch);  // its __syncthreads also publishes every p[t]

  // 3. Weighted sum of the values.
  float acc = 0.f;
  for (int t = 0; t < kv_len; ++t) {
    acc += logits[t] * __bfloat162float(v_cache[(((long long)b * kv_len + t) * kKvHeads + g) * kHeadDim + d]);
  }
  output[row * kHeadDim + d] = __float2bfloat16(acc / s);

  // 4. Base-2 log-sum-exp.
  if (d == 0) lse[row] = (m + logf(s)) * 1.4426950408889634f;
}
