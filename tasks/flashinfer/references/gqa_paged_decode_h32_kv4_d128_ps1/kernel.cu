// Reference for gqa_paged_decode_h32_kv4_d128_ps1, written to be obviously right rather than fast.
//
// Block (b, h) computes query head h of sequence b against every cached token of kv head h / 8
// (32 query heads share 4 kv heads in groups of 8, as repeat_interleave does in the PyTorch
// reference). Sequence b owns the cache slots kv_indices[kv_indptr[b] .. kv_indptr[b + 1]);
// page_size is 1, so a slot is one token. With len = its token count:
//   1. x[t] = sm_scale * dot(q[b, h, :], k_cache[slot_t, 0, h / 8, :])   one warp per token
//   2. m = max_t x[t]; p[t] = exp(x[t] - m); s = sum_t p[t]              block reductions
//   3. output[b, h, d] = (sum_t p[t] * v_cache[slot_t, 0, h / 8, d]) / s  thread d, dimension d
//   4. lse[b, h] = (m + ln(s)) / ln(2)                                   base-2 log-sum-exp
// Everything is fp32 after upcasting the bf16 inputs; the output is rounded to nearest even.
// The logits live in the `logits` workspace: sequence b's block of len * 32 floats starts at
// kv_indptr[b] * 32, and head h takes the h-th run of len floats in it. Sums run in a fixed order
// (no atomics), so the result is deterministic. A sequence without tokens gives output 0 and
// lse -inf, as the PyTorch reference does.
#include <cuda_bf16.h>

namespace {

constexpr int kHeadDim = 128;
constexpr int kQoHeads = 32;
constexpr int kKvHeads = 4;
constexpr int kGroup = kQoHeads / kKvHeads;  // query heads per kv head
constexpr int kThreads = kHeadDim;           // one thread per output dimension
constexpr int kWarps = kThreads / 32;

__device__ float negative_infinity() { return __int_as_float(0xff800000); }

// Sum (or max) of `value` over the block; every thread gets the result. `scratch` holds kWarps
// floats. The shuffle tree and the warp order are fixed, so the result is deterministic.
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

// Grid (batch_size, 32), block 128.
extern "C" __global__ void __launch_bounds__(kThreads)
gqa_paged_decode_ref(const __nv_bfloat16* q, const __nv_bfloat16* k_cache, const __nv_bfloat16* v_cache,
                     const int* kv_indptr, const int* kv_indices, float sm_scale, __nv_bfloat16* output,
                     float* lse, float* logits) {
  __shared__ float q_row[kHeadDim];
  __shared__ float scratch[kWarps];
  const int b = blockIdx.x, h = blockIdx.y, g = h / kGroup;
  const int d = threadIdx.x, lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  const long long row = (long long)b * kQoHeads + h;  // (b, h) in output and lse

  const int first = kv_indptr[b];
  const int len = kv_indptr[b + 1] - first;
  if (len <= 0) {  // nothing cached: the whole block leaves here, before any barrier
    output[row * kHeadDim + d] = __float2bfloat16_rn(0.f);
    if (d == 0) lse[row] = negative_infinity();
    return;
  }
  const int* slots = kv_indices + first;
  float* x = logits + (long long)first * kQoHeads + (long long)h * len;  // this head's len floats

  q_row[d] = __bfloat162float(q[row * kHeadDim + d]);
  __syncthreads();

  // 1. Logits: warp `warp` takes tokens warp, warp + 4, ...; lane l sums dims l, l + 32, l + 64, l + 96.
  for (int t = warp; t < len; t += kWarps) {
    const __nv_bfloat16* k = k_cache + ((long long)slots[t] * kKvHeads + g) * kHeadDim;
    float dot = 0.f;
    for (int i = lane; i < kHeadDim; i += 32) dot += q_row[i] * __bfloat162float(k[i]);
    for (int offset = 16; offset > 0; offset /= 2) dot += __shfl_xor_sync(0xffffffffu, dot, offset);
    if (lane == 0) x[t] = dot * sm_scale;
  }
  __syncthreads();  // every logit is written before any thread reads them

  // 2. Softmax numerators p[t] (written over the logits) and their sum.
  float m = negative_infinity();
  for (int t = d; t < len; t += kThreads) m = fmaxf(m, x[t]);
  m = block_reduce(m, true, scratch);
  float s = 0.f;
  for (int t = d; t < len; t += kThreads) {
    const float p = expf(x[t] - m);
    x[t] = p;
    s += p;
  }
  s = block_reduce(s, false, scratch);  // its __syncthreads also publishes every p[t]

  // 3. Weighted sum of the values, in token order.
  const __nv_bfloat16* v_head = v_cache + (long long)g * kHeadDim + d;
  float acc = 0.f;
#pragma unroll 4
  for (int t = 0; t < len; ++t) {
    acc += x[t] * __bfloat162float(v_head[(long long)slots[t] * kKvHeads * kHeadDim]);
  }
  output[row * kHeadDim + d] = __float2bfloat16_rn(acc / s);

  // 4. Base-2 log-sum-exp: the natural one divided by ln 2.
  if (d == 0) lse[row] = (m + logf(s)) / 0.6931471805599453f;
}
