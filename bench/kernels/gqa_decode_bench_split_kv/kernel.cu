// gqa_decode_bench, split-KV decode: one query token per batch row, 32 query heads over 8 kv heads
// (groups of 4), head_dim 128, bf16 in and out, fp32 math, base-2 log-sum-exp.
//
// Decode attention reads every key and value once and does little math per byte, so the kernel is
// built to keep HBM busy:
//   - Work unit: one block per (split, batch row, kv head). A block serves all 4 query heads of
//     its kv head, so each K/V row is read from memory once for 4 heads. The keys of a sequence are
//     cut into `splits` chunks so that short batches still fill every SM (the plan picks splits).
//   - Loads: a half-warp holds one 128-dim row, 8 bf16 (16 bytes) per lane, read with one
//     vectorised load. Each half-warp walks its own keys, two per step, and issues all four 16-byte
//     loads (2 K rows, 2 V rows) of a step before any math, so every thread has 64 bytes in flight.
//   - Math: partial dot products over the lane's 8 dims, summed over the half-warp with 4 xor
//     shuffles per head; an online softmax (running max, sum and weighted V) per half-warp and head,
//     in the base-2 domain (q is pre-scaled by sm_scale * log2(e), so exp2 is the only exponential).
//   - Block merge: the 8 half-warps' states meet in shared memory and are merged with the same
//     rescaling rule; the result is the split's normalised output and its log-sum-exp.
//   - Splits: with one split the block writes `output` and `lse` itself. With more, it writes its
//     fp32 partial output and lse to the workspaces, and gqa_merge_splits combines them per
//     (batch row, head): weights 2^(lse_i - max lse), output = sum w_i o_i / sum w_i,
//     lse = max + log2(sum w_i).
// Every split holds at least one key (the plan sizes them so); a sequence without keys (kv_len 0)
// still gives output 0 and lse -inf, as the PyTorch reference does.
#include <cuda_bf16.h>

namespace {

constexpr int kHeadDim = 128;
constexpr int kQoHeads = 32;
constexpr int kKvHeads = 8;
constexpr int kGroup = kQoHeads / kKvHeads;          // query heads per kv head
constexpr int kThreads = 128;                        // 4 warps per block (both kernels)
constexpr int kRowLanes = 16;                        // lanes holding one 128-dim row
constexpr int kDimsPerLane = kHeadDim / kRowLanes;   // 8 bf16 = 16 bytes
constexpr int kRowsPerBlock = kThreads / kRowLanes;  // 8 half-warps, each with its own keys
constexpr int kUnroll = 2;                           // keys per half-warp per step
constexpr int kKeysPerStep = kRowsPerBlock * kUnroll;
constexpr float kLog2e = 1.4426950408889634f;

static_assert(kHeadDim == kRowLanes * kDimsPerLane, "a half-warp must cover one row");
static_assert(kDimsPerLane == 8, "one 16-byte load per lane per row");
static_assert(kThreads / 32 == kGroup, "the block merge gives one warp to each head of the group");

__device__ __forceinline__ float negative_infinity() { return __int_as_float(0xff800000); }

// 8 bf16 packed in 16 bytes -> 8 floats. A bf16 is the upper half of a float32, and the element at
// the lower address sits in the low 16 bits of each 32-bit word (little-endian).
__device__ __forceinline__ void unpack_bf16x8(const uint4& raw, float (&out)[8]) {
  const unsigned int words[4] = {raw.x, raw.y, raw.z, raw.w};
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    out[2 * i] = __uint_as_float(words[i] << 16);
    out[2 * i + 1] = __uint_as_float(words[i] & 0xffff0000u);
  }
}

__device__ __forceinline__ uint4 load_16_bytes(const __nv_bfloat16* p) {
  return __ldg(reinterpret_cast<const uint4*>(p));
}

// Four floats -> four bf16 (round to nearest even) in one 8-byte store; `p` is 8-byte aligned.
__device__ __forceinline__ void store_bf16x4(__nv_bfloat16* p, float a, float b, float c, float d) {
  const __nv_bfloat162 lo = __floats2bfloat162_rn(a, b);  // .x = a at the lower address
  const __nv_bfloat162 hi = __floats2bfloat162_rn(c, d);
  uint2 packed;
  packed.x = *reinterpret_cast<const unsigned int*>(&lo);
  packed.y = *reinterpret_cast<const unsigned int*>(&hi);
  *reinterpret_cast<uint2*>(p) = packed;
}

// Sum over the 16 lanes of a half-warp; every lane of the warp must call it (full-mask shuffles).
__device__ __forceinline__ float half_warp_sum(float v) {
#pragma unroll
  for (int offset = kRowLanes / 2; offset > 0; offset /= 2) v += __shfl_xor_sync(0xffffffffu, v, offset);
  return v;
}

__device__ __forceinline__ float warp_max(float v) {
#pragma unroll
  for (int offset = 16; offset > 0; offset /= 2) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, offset));
  return v;
}

__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
  for (int offset = 16; offset > 0; offset /= 2) v += __shfl_xor_sync(0xffffffffu, v, offset);
  return v;
}

// Online softmax of one head over the keys one half-warp has seen, in base 2: `max` is the largest
// logit, `sum` = sum_t 2^(logit_t - max), and `acc` this lane's 8 dims of sum_t 2^(logit_t - max) v_t.
struct softmax_state {
  float max;
  float sum;
  float acc[kDimsPerLane];

  __device__ __forceinline__ void reset() {
    max = negative_infinity();
    sum = 0.f;
#pragma unroll
    for (int e = 0; e < kDimsPerLane; ++e) acc[e] = 0.f;
  }

  // Adds the keys of one step: logits x[u] with values v[u], for the u whose valid[u] is set.
  __device__ __forceinline__ void add(const float (&x)[kUnroll], const bool (&valid)[kUnroll],
                                      const float (&v)[kUnroll][kDimsPerLane]) {
    float new_max = max;
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      if (valid[u]) new_max = fmaxf(new_max, x[u]);
    }
    if (new_max == negative_infinity()) return;  // no key yet: nothing to add
    const float rescale = exp2f(max - new_max);   // 0 while max is still -inf
    float p[kUnroll];
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) p[u] = valid[u] ? exp2f(x[u] - new_max) : 0.f;
    float step_sum = 0.f;
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) step_sum += p[u];
    sum = fmaf(sum, rescale, step_sum);
#pragma unroll
    for (int e = 0; e < kDimsPerLane; ++e) {
      float a = acc[e] * rescale;
#pragma unroll
      for (int u = 0; u < kUnroll; ++u) a = fmaf(p[u], v[u][e], a);
      acc[e] = a;
    }
    max = new_max;
  }
};

}  // namespace

// Grid (splits, batch_size * 8), block 128. Keys [split * chunk, min(kv_len, (split + 1) * chunk)).
extern "C" __global__ void __launch_bounds__(kThreads)
gqa_split_kv(const __nv_bfloat16* __restrict__ q, const __nv_bfloat16* __restrict__ k_cache,
             const __nv_bfloat16* __restrict__ v_cache, float sm_scale, __nv_bfloat16* __restrict__ output,
             float* __restrict__ lse, float* __restrict__ part_out, float* __restrict__ part_lse, int kv_len,
             int chunk, int splits) {
  __shared__ float shared_max[kRowsPerBlock][kGroup];
  __shared__ float shared_sum[kRowsPerBlock][kGroup];
  __shared__ __align__(16) float shared_acc[kRowsPerBlock][kGroup][kHeadDim];  // 16 KB

  const int split = blockIdx.x;
  const int b = blockIdx.y / kKvHeads;
  const int g = blockIdx.y % kKvHeads;
  const int tid = threadIdx.x;
  const int slot = tid / kRowLanes;  // which half-warp: its keys are t = step base + u * 8 + slot
  const int rl = tid % kRowLanes;    // lane in the half-warp: dims [rl * 8, rl * 8 + 8)
  const long long lo_wide = (long long)split * chunk;
  const int lo = (int)(lo_wide < kv_len ? lo_wide : kv_len);
  const int hi = (int)(lo + (long long)chunk < kv_len ? lo + chunk : kv_len);

  // 1. The group's 4 query rows, this lane's 8 dims each, scaled so that logits come out in base 2.
  const float q_scale = sm_scale * kLog2e;
  float qf[kGroup][kDimsPerLane];
#pragma unroll
  for (int j = 0; j < kGroup; ++j) {
    const long long q_row = (long long)b * kQoHeads + g * kGroup + j;
    unpack_bf16x8(load_16_bytes(q + q_row * kHeadDim + rl * kDimsPerLane), qf[j]);
#pragma unroll
    for (int e = 0; e < kDimsPerLane; ++e) qf[j][e] *= q_scale;
  }

  softmax_state state[kGroup];
#pragma unroll
  for (int j = 0; j < kGroup; ++j) state[j].reset();

  // k_cache[b, t, g, :] starts at ((b * kv_len + t) * 8 + g) * 128; consecutive keys are 8 * 128 apart.
  const long long key_stride = (long long)kKvHeads * kHeadDim;
  const long long head_offset = ((long long)b * kv_len * kKvHeads + g) * kHeadDim + rl * kDimsPerLane;
  const __nv_bfloat16* k_head = k_cache + head_offset;
  const __nv_bfloat16* v_head = v_cache + head_offset;

  // 2. The split's keys. The loop bounds are the same for the whole block, so every lane reaches
  //    every shuffle; a key past `hi` is loaded as zeros and left out of the softmax.
  for (int base = lo; base < hi; base += kKeysPerStep) {
    uint4 k_raw[kUnroll], v_raw[kUnroll];
    bool valid[kUnroll];
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      const int t = base + u * kRowsPerBlock + slot;
      valid[u] = t < hi;
      k_raw[u] = make_uint4(0u, 0u, 0u, 0u);
      v_raw[u] = make_uint4(0u, 0u, 0u, 0u);
      if (valid[u]) {
        k_raw[u] = load_16_bytes(k_head + t * key_stride);
        v_raw[u] = load_16_bytes(v_head + t * key_stride);
      }
    }

    float x[kGroup][kUnroll];  // logits, base 2
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      float kf[kDimsPerLane];
      unpack_bf16x8(k_raw[u], kf);
#pragma unroll
      for (int j = 0; j < kGroup; ++j) {
        float dot = 0.f;
#pragma unroll
        for (int e = 0; e < kDimsPerLane; ++e) dot = fmaf(qf[j][e], kf[e], dot);
        x[j][u] = dot;
      }
    }
#pragma unroll
    for (int j = 0; j < kGroup; ++j) {
#pragma unroll
      for (int u = 0; u < kUnroll; ++u) x[j][u] = half_warp_sum(x[j][u]);
    }

    float vf[kUnroll][kDimsPerLane];
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) unpack_bf16x8(v_raw[u], vf[u]);
#pragma unroll
    for (int j = 0; j < kGroup; ++j) state[j].add(x[j], valid, vf);
  }

  // 3. Merge the 8 half-warps. Each publishes its state; then warp j merges head j, lane l taking
  //    dims [4l, 4l + 4). A half-warp that saw no key has max -inf and weighs 2^-inf = 0.
#pragma unroll
  for (int j = 0; j < kGroup; ++j) {
    if (rl == 0) {
      shared_max[slot][j] = state[j].max;
      shared_sum[slot][j] = state[j].sum;
    }
    float* dst = &shared_acc[slot][j][rl * kDimsPerLane];
    *reinterpret_cast<float4*>(dst) = make_float4(state[j].acc[0], state[j].acc[1], state[j].acc[2], state[j].acc[3]);
    *reinterpret_cast<float4*>(dst + 4) =
        make_float4(state[j].acc[4], state[j].acc[5], state[j].acc[6], state[j].acc[7]);
  }
  __syncthreads();

  const int j = tid / 32;
  const int d0 = (tid % 32) * 4;
  float block_max = negative_infinity();
#pragma unroll
  for (int r = 0; r < kRowsPerBlock; ++r) block_max = fmaxf(block_max, shared_max[r][j]);
  float total = 0.f;
  float o[4] = {0.f, 0.f, 0.f, 0.f};
  if (block_max != negative_infinity()) {
#pragma unroll
    for (int r = 0; r < kRowsPerBlock; ++r) {
      const float w = exp2f(shared_max[r][j] - block_max);
      const float4 a = *reinterpret_cast<const float4*>(&shared_acc[r][j][d0]);
      total = fmaf(w, shared_sum[r][j], total);
      o[0] = fmaf(w, a.x, o[0]);
      o[1] = fmaf(w, a.y, o[1]);
      o[2] = fmaf(w, a.z, o[2]);
      o[3] = fmaf(w, a.w, o[3]);
    }
  }
  const float inv = total > 0.f ? 1.f / total : 0.f;
#pragma unroll
  for (int i = 0; i < 4; ++i) o[i] *= inv;
  const float split_lse = block_max + log2f(total);  // -inf for a split without keys

  // 4. The final result, or this split's share of it.
  const long long out_row = (long long)b * kQoHeads + g * kGroup + j;
  if (splits == 1) {
    store_bf16x4(output + out_row * kHeadDim + d0, o[0], o[1], o[2], o[3]);
    if (tid % 32 == 0) lse[out_row] = split_lse;
  } else {
    const long long part_row = out_row * splits + split;
    *reinterpret_cast<float4*>(part_out + part_row * kHeadDim + d0) = make_float4(o[0], o[1], o[2], o[3]);
    if (tid % 32 == 0) part_lse[part_row] = split_lse;
  }
}

// Grid ceil_div(rows, 4), block 128: warp w of block x combines row x * 4 + w (row = b * 32 + h),
// lane l taking dims [4l, 4l + 4). part_out is [rows, splits, 128], part_lse [rows, splits].
extern "C" __global__ void __launch_bounds__(kThreads)
gqa_merge_splits(const float* __restrict__ part_out, const float* __restrict__ part_lse,
                 __nv_bfloat16* __restrict__ output, float* __restrict__ lse, int rows, int splits) {
  const int lane = threadIdx.x % 32;
  const long long row = (long long)blockIdx.x * (kThreads / 32) + threadIdx.x / 32;
  if (row >= rows) return;  // the whole warp leaves together: no shuffle is left half-done

  const float* row_lse = part_lse + row * splits;
  float max_lse = negative_infinity();
  for (int i = lane; i < splits; i += 32) max_lse = fmaxf(max_lse, row_lse[i]);
  max_lse = warp_max(max_lse);

  float total = 0.f;
  float4 acc = make_float4(0.f, 0.f, 0.f, 0.f);
  if (max_lse != negative_infinity()) {  // the same in every lane after warp_max
    for (int i = lane; i < splits; i += 32) total += exp2f(row_lse[i] - max_lse);
    for (int i = 0; i < splits; ++i) {
      const float w = exp2f(row_lse[i] - max_lse);  // a split without keys (-inf) weighs 0
      const float4 p = __ldg(reinterpret_cast<const float4*>(part_out + (row * splits + i) * kHeadDim) + lane);
      acc.x = fmaf(w, p.x, acc.x);
      acc.y = fmaf(w, p.y, acc.y);
      acc.z = fmaf(w, p.z, acc.z);
      acc.w = fmaf(w, p.w, acc.w);
    }
  }
  total = warp_sum(total);

  const float inv = total > 0.f ? 1.f / total : 0.f;
  store_bf16x4(output + row * kHeadDim + lane * 4, acc.x * inv, acc.y * inv, acc.z * inv, acc.w * inv);
  if (lane == 0) lse[row] = max_lse + log2f(total);
}
