// gqa_paged_decode_h32_kv4_d128_ps1, split-KV decode over a paged cache (page_size 1): one query
// token per sequence, 32 query heads over 4 kv heads (groups of 8), head_dim 128, bf16 in and
// out, fp32 math, base-2 log-sum-exp.
//
// Decode attention reads every key and value once and does little math per byte, so the kernel is
// built to keep HBM busy:
//   - Work unit: one block per (split, sequence, kv head). A block serves all 8 query heads of its
//     kv head, so each K/V row is read once for 8 heads. Each sequence's tokens are cut into
//     `splits` equal chunks (the plan picks splits from the axes; the chunk bounds come from the
//     sequence's own length, read from kv_indptr), so short batches still fill every SM.
//   - Gather: sequence b owns cache slots kv_indices[kv_indptr[b] ..); a token's K row for kv
//     head g is k_cache[slot, 0, g, :].
//   - Loads: a half-warp holds one 128-dim row, 8 bf16 (16 bytes) per lane, read with one
//     vectorised load. Each half-warp walks its own tokens, two per step. The loop is
//     software-pipelined: the four 16-byte loads (2 K rows, 2 V rows) of step i + 1 and the
//     cache slots of step i + 2 are issued before the math of step i, so the dependent index ->
//     row loads overlap with compute (the main kernel holds 2 blocks per SM: ~244 registers).
//   - Math: partial dot products over the lane's 8 dims, summed over the half-warp with 4 xor
//     shuffles per head; an online softmax (running max, sum and weighted V) per half-warp and
//     head, in the base-2 domain (q is pre-scaled by sm_scale * log2(e), so exp2 is the only
//     exponential and the log-sum-exp comes out in base 2 directly).
//   - Block merge: the 8 half-warps' states meet in shared memory; half-warp j then merges head j
//     over them with the same rescaling rule. The result is the split's normalised output and its
//     log-sum-exp.
//   - Splits: with one split the block writes `output` and `lse` itself. With more, it writes its
//     fp32 partial output and lse to the workspaces, and gqa_paged_merge_splits combines them per
//     (sequence, head): weights 2^(lse_i - max lse), output = sum w_i o_i / sum w_i,
//     lse = max + log2(sum w_i).
// A split without tokens (short sequence, many splits) writes output 0 and lse -inf, which weighs
// 0 in the merge; a sequence without tokens ends with output 0 and lse -inf, as the reference.
#include <cuda_bf16.h>

namespace {

constexpr int kHeadDim = 128;
constexpr int kQoHeads = 32;
constexpr int kKvHeads = 4;
constexpr int kGroup = kQoHeads / kKvHeads;          // query heads per kv head: 8
constexpr int kThreads = 128;                        // 4 warps per block (both kernels)
constexpr int kRowLanes = 16;                        // lanes holding one 128-dim row
constexpr int kDimsPerLane = kHeadDim / kRowLanes;   // 8 bf16 = 16 bytes
constexpr int kRowsPerBlock = kThreads / kRowLanes;  // 8 half-warps, each with its own tokens
constexpr int kUnroll = 2;                           // tokens per half-warp per step
constexpr int kKeysPerStep = kRowsPerBlock * kUnroll;
constexpr float kLog2e = 1.4426950408889634f;

static_assert(kHeadDim == kRowLanes * kDimsPerLane, "a half-warp must cover one row");
static_assert(kDimsPerLane == 8, "one 16-byte load per lane per row");
static_assert(kRowsPerBlock == kGroup, "the block merge gives one half-warp to each head of the group");

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

__device__ __forceinline__ unsigned int pack_bf16x2(float lo, float hi) {
  const __nv_bfloat162 pair = __floats2bfloat162_rn(lo, hi);  // .x = lo at the lower address
  return *reinterpret_cast<const unsigned int*>(&pair);
}

// Eight floats -> eight bf16 (round to nearest even) in one 16-byte store; `p` is 16-byte aligned.
__device__ __forceinline__ void store_bf16x8(__nv_bfloat16* p, const float (&v)[8]) {
  uint4 packed;
  packed.x = pack_bf16x2(v[0], v[1]);
  packed.y = pack_bf16x2(v[2], v[3]);
  packed.z = pack_bf16x2(v[4], v[5]);
  packed.w = pack_bf16x2(v[6], v[7]);
  *reinterpret_cast<uint4*>(p) = packed;
}

// Four floats -> four bf16 (round to nearest even) in one 8-byte store; `p` is 8-byte aligned.
__device__ __forceinline__ void store_bf16x4(__nv_bfloat16* p, float a, float b, float c, float d) {
  uint2 packed;
  packed.x = pack_bf16x2(a, b);
  packed.y = pack_bf16x2(c, d);
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

// Online softmax of one head over the tokens one half-warp has seen, in base 2: `max` is the
// largest logit, `sum` = sum_t 2^(logit_t - max), and `acc` this lane's 8 dims of
// sum_t 2^(logit_t - max) v_t.
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

  // Adds the tokens of one step: logits x[u] with values v[u], for the u whose valid[u] is set.
  __device__ __forceinline__ void add(const float (&x)[kUnroll], const bool (&valid)[kUnroll],
                                      const float (&v)[kUnroll][kDimsPerLane]) {
    float new_max = max;
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      if (valid[u]) new_max = fmaxf(new_max, x[u]);
    }
    if (new_max == negative_infinity()) return;  // no token yet: nothing to add
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

// Grid (splits, batch_size * 4), block 128. Block (split, b * 4 + g) takes tokens [lo, hi) of
// sequence b, chunk = ceil(len / splits), lo = min(len, split * chunk), hi = min(len, lo + chunk).
// part_out is [batch_size * 32, splits, 128] floats, part_lse [batch_size * 32, splits]; both are
// used only when splits > 1.
extern "C" __global__ void __launch_bounds__(kThreads)
gqa_paged_split_kv(const __nv_bfloat16* __restrict__ q, const __nv_bfloat16* __restrict__ k_cache,
                   const __nv_bfloat16* __restrict__ v_cache, const int* __restrict__ kv_indptr,
                   const int* __restrict__ kv_indices, float sm_scale, __nv_bfloat16* __restrict__ output,
                   float* __restrict__ lse, float* __restrict__ part_out, float* __restrict__ part_lse,
                   int splits) {
  __shared__ float shared_max[kRowsPerBlock][kGroup];
  __shared__ float shared_sum[kRowsPerBlock][kGroup];
  __shared__ __align__(16) float shared_acc[kRowsPerBlock][kGroup][kHeadDim];  // 32 KB

  const int split = blockIdx.x;
  const int b = blockIdx.y / kKvHeads;
  const int g = blockIdx.y % kKvHeads;
  const int tid = threadIdx.x;
  const int slot_lane = tid / kRowLanes;  // which half-warp: its tokens are t = step base + u * 8 + slot_lane
  const int rl = tid % kRowLanes;         // lane in the half-warp: dims [rl * 8, rl * 8 + 8)

  const int first = kv_indptr[b];
  const int len = max(0, kv_indptr[b + 1] - first);
  const int chunk = (len + splits - 1) / splits;
  const int lo = min(len, split * chunk);
  const int hi = min(len, lo + chunk);
  const int* __restrict__ slots = kv_indices + first;  // this sequence's cache slots

  // 1. The group's 8 query rows, this lane's 8 dims each, scaled so that logits come out in base 2.
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

  // k_cache[slot, 0, g, :] starts at (slot * 4 + g) * 128; this lane reads 8 dims from rl * 8.
  const long long row_stride = (long long)kKvHeads * kHeadDim;
  const __nv_bfloat16* k_head = k_cache + g * kHeadDim + rl * kDimsPerLane;
  const __nv_bfloat16* v_head = v_cache + g * kHeadDim + rl * kDimsPerLane;

  // This half-warp's tokens in the step starting at `base` are base + u * 8 + slot_lane. Their
  // cache slots (0 past hi: never dereferenced) and their K/V rows (zeros past hi):
  auto load_slots = [&](int base, int (&slot)[kUnroll]) {
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      const int t = base + u * kRowsPerBlock + slot_lane;
      slot[u] = t < hi ? slots[t] : 0;
    }
  };
  auto load_rows = [&](int base, const int (&slot)[kUnroll], uint4 (&k_raw)[kUnroll], uint4 (&v_raw)[kUnroll]) {
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      k_raw[u] = make_uint4(0u, 0u, 0u, 0u);
      v_raw[u] = make_uint4(0u, 0u, 0u, 0u);
      if (base + u * kRowsPerBlock + slot_lane < hi) {
        const long long offset = slot[u] * row_stride;
        k_raw[u] = load_16_bytes(k_head + offset);
        v_raw[u] = load_16_bytes(v_head + offset);
      }
    }
  };

  // 2. The split's tokens, software-pipelined: the rows of step i + 1 and the slots of step i + 2
  //    are requested before the math of step i. The loop bounds are the same for the whole block,
  //    so every lane reaches every shuffle; a token past `hi` is zeros, left out of the softmax.
  int slot[kUnroll];
  uint4 k_raw[kUnroll], v_raw[kUnroll];
  load_slots(lo, slot);
  load_rows(lo, slot, k_raw, v_raw);
  load_slots(lo + kKeysPerStep, slot);
  for (int base = lo; base < hi; base += kKeysPerStep) {
    uint4 k_next[kUnroll], v_next[kUnroll];
    load_rows(base + kKeysPerStep, slot, k_next, v_next);
    load_slots(base + 2 * kKeysPerStep, slot);
    bool valid[kUnroll];
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) valid[u] = base + u * kRowsPerBlock + slot_lane < hi;

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
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      k_raw[u] = k_next[u];
      v_raw[u] = v_next[u];
    }
  }

  // 3. Merge the 8 half-warps. Each publishes its state for every head; then half-warp j merges
  //    head j, lane rl keeping its dims [8 rl, 8 rl + 8). A half-warp that saw no token has max
  //    -inf and weighs 2^-inf = 0.
#pragma unroll
  for (int j = 0; j < kGroup; ++j) {
    if (rl == 0) {
      shared_max[slot_lane][j] = state[j].max;
      shared_sum[slot_lane][j] = state[j].sum;
    }
    float* dst = &shared_acc[slot_lane][j][rl * kDimsPerLane];
    *reinterpret_cast<float4*>(dst) = make_float4(state[j].acc[0], state[j].acc[1], state[j].acc[2], state[j].acc[3]);
    *reinterpret_cast<float4*>(dst + 4) =
        make_float4(state[j].acc[4], state[j].acc[5], state[j].acc[6], state[j].acc[7]);
  }
  __syncthreads();

  const int j = slot_lane;  // the head this half-warp merges
  const int d0 = rl * kDimsPerLane;
  float block_max = negative_infinity();
#pragma unroll
  for (int r = 0; r < kRowsPerBlock; ++r) block_max = fmaxf(block_max, shared_max[r][j]);
  float total = 0.f;
  float o[kDimsPerLane];
#pragma unroll
  for (int e = 0; e < kDimsPerLane; ++e) o[e] = 0.f;
  if (block_max != negative_infinity()) {
#pragma unroll
    for (int r = 0; r < kRowsPerBlock; ++r) {
      const float w = exp2f(shared_max[r][j] - block_max);
      total = fmaf(w, shared_sum[r][j], total);
#pragma unroll
      for (int e = 0; e < kDimsPerLane; ++e) o[e] = fmaf(w, shared_acc[r][j][d0 + e], o[e]);
    }
  }
  const float inv = total > 0.f ? 1.f / total : 0.f;
#pragma unroll
  for (int e = 0; e < kDimsPerLane; ++e) o[e] *= inv;
  const float split_lse = block_max + log2f(total);  // -inf for a split without tokens

  // 4. The final result, or this split's share of it.
  const long long out_row = (long long)b * kQoHeads + g * kGroup + j;
  if (splits == 1) {
    store_bf16x8(output + out_row * kHeadDim + d0, o);
    if (rl == 0) lse[out_row] = split_lse;
  } else {
    const long long part_row = out_row * splits + split;
    float* dst = part_out + part_row * kHeadDim + d0;
    *reinterpret_cast<float4*>(dst) = make_float4(o[0], o[1], o[2], o[3]);
    *reinterpret_cast<float4*>(dst + 4) = make_float4(o[4], o[5], o[6], o[7]);
    if (rl == 0) part_lse[part_row] = split_lse;
  }
}

// Grid ceil_div(rows, 4), block 128: warp w of block x combines row x * 4 + w (row = b * 32 + h),
// lane l taking dims [4l, 4l + 4). part_out is [rows, splits, 128], part_lse [rows, splits].
extern "C" __global__ void __launch_bounds__(kThreads)
gqa_paged_merge_splits(const float* __restrict__ part_out, const float* __restrict__ part_lse,
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
      const float w = exp2f(row_lse[i] - max_lse);  // a split without tokens (-inf) weighs 0
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
  if (lane == 0) lse[row] = max_lse + log2f(total);  // -inf for a sequence without tokens
}
