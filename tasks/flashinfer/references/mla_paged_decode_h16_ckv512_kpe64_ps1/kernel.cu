// Reference for mla_paged_decode_h16_ckv512_kpe64_ps1, written to be obviously right rather than fast.
//
// Absorbed MLA decode: every head reads the same cached rows. Token t of a sequence has a latent
// row ckv[t] (512 channels), which is both key and value, and a rotary key row kpe[t] (64).
// Block (b, h) computes head h of sequence b over the cache slots
// kv_indices[kv_indptr[b] .. kv_indptr[b + 1]) (page_size is 1, so a slot is one token):
//   1. x[t] = sm_scale * (dot(q_nope[b, h], ckv[slot_t]) + dot(q_pe[b, h], kpe[slot_t]))   one warp per token
//   2. m = max_t x[t]; p[t] = exp(x[t] - m); s = sum_t p[t]                                 block reductions
//   3. output[b, h, c] = (sum_t p[t] * ckv[slot_t, c]) / s                                  thread c, channel c
//   4. lse[b, h] = (m + ln(s)) / ln(2)                                                      base-2 log-sum-exp
// Everything is fp32 after upcasting the bf16 inputs; the output is rounded to nearest even.
// The logits live in the `logits` workspace: sequence b's block of len * 16 floats starts at
// kv_indptr[b] * 16, and head h takes the h-th run of len floats in it. Sums run in a fixed order
// (no atomics), so the result is deterministic. A sequence without tokens gives output 0 and
// lse -inf, as the PyTorch reference does.
#include <cuda_bf16.h>

namespace {

constexpr int kCkvDim = 512;
constexpr int kKpeDim = 64;
constexpr int kQoHeads = 16;
constexpr int kThreads = kCkvDim;  // one thread per output channel
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

// Grid (batch_size, 16), block 512.
extern "C" __global__ void __launch_bounds__(kThreads)
mla_paged_decode_ref(const __nv_bfloat16* q_nope, const __nv_bfloat16* q_pe, const __nv_bfloat16* ckv_cache,
                     const __nv_bfloat16* kpe_cache, const int* kv_indptr, const int* kv_indices, float sm_scale,
                     __nv_bfloat16* output, float* lse, float* logits) {
  __shared__ float q_ckv[kCkvDim];
  __shared__ float q_kpe[kKpeDim];
  __shared__ float scratch[kWarps];
  const int b = blockIdx.x, h = blockIdx.y;
  const int c = threadIdx.x, lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  const long long row = (long long)b * kQoHeads + h;  // (b, h) in q, output and lse

  const int first = kv_indptr[b];
  const int len = kv_indptr[b + 1] - first;
  if (len <= 0) {  // nothing cached: the whole block leaves here, before any barrier
    output[row * kCkvDim + c] = __float2bfloat16_rn(0.f);
    if (c == 0) lse[row] = negative_infinity();
    return;
  }
  const int* slots = kv_indices + first;
  float* x = logits + (long long)first * kQoHeads + (long long)h * len;  // this head's len floats

  q_ckv[c] = __bfloat162float(q_nope[row * kCkvDim + c]);
  if (c < kKpeDim) q_kpe[c] = __bfloat162float(q_pe[row * kKpeDim + c]);
  __syncthreads();

  // 1. Logits: warp `warp` takes tokens warp, warp + 16, ...; lane l sums channels l, l + 32, ...
  for (int t = warp; t < len; t += kWarps) {
    const long long slot = slots[t];
    const __nv_bfloat16* ckv = ckv_cache + slot * kCkvDim;
    const __nv_bfloat16* kpe = kpe_cache + slot * kKpeDim;
    float dot_ckv = 0.f, dot_kpe = 0.f;
    for (int i = lane; i < kCkvDim; i += 32) dot_ckv += q_ckv[i] * __bfloat162float(ckv[i]);
    for (int i = lane; i < kKpeDim; i += 32) dot_kpe += q_kpe[i] * __bfloat162float(kpe[i]);
    for (int offset = 16; offset > 0; offset /= 2) {
      dot_ckv += __shfl_xor_sync(0xffffffffu, dot_ckv, offset);
      dot_kpe += __shfl_xor_sync(0xffffffffu, dot_kpe, offset);
    }
    if (lane == 0) x[t] = (dot_ckv + dot_kpe) * sm_scale;
  }
  __syncthreads();  // every logit is written before any thread reads them

  // 2. Softmax numerators p[t] (written over the logits) and their sum.
  float m = negative_infinity();
  for (int t = c; t < len; t += kThreads) m = fmaxf(m, x[t]);
  m = block_reduce(m, true, scratch);
  float s = 0.f;
  for (int t = c; t < len; t += kThreads) {
    const float p = expf(x[t] - m);
    x[t] = p;
    s += p;
  }
  s = block_reduce(s, false, scratch);  // its __syncthreads also publishes every p[t]

  // 3. Weighted sum of the latent rows, in token order.
  float acc = 0.f;
#pragma unroll 4
  for (int t = 0; t < len; ++t) {
    acc += x[t] * __bfloat162float(ckv_cache[(long long)slots[t] * kCkvDim + c]);
  }
  output[row * kCkvDim + c] = __float2bfloat16_rn(acc / s);

  // 4. Base-2 log-sum-exp: the natural one divided by ln 2.
  if (c == 0) lse[row] = (m + logf(s)) / 0.6931471805599453f;
}
