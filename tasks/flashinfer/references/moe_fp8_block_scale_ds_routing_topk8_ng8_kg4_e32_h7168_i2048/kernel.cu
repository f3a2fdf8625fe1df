// Reference kernels: moe_fp8_block_scale_ds_routing_topk8_ng8_kg4_e32_h7168_i2048.
//
// Six launches (see launch.json):
//   moe_route     one block per token: DeepSeek-V3 grouped top-8 routing -> tok_w, tok_sel [T][32]
//   moe_count     one block per local expert: its tokens in ascending order (expert_tokens),
//                 each token's position in that list (tok_pos, -1 if not routed), the count
//   moe_plan      one thread: pair offsets per expert (prefix sum of the counts) and the list of
//                 (expert, 64-token tile) work items
//   moe_gemm1     per work item and 64 intermediate columns: G = A . W13^T (fp32, dequantised on
//                 the fly), SwiGLU -> act [pair][2048]
//   moe_gemm2     per work item and 128 hidden columns: down = act . W2^T, times the routing
//                 weight -> down [pair][7168]
//   moe_finalize  one block per token: sum of its pairs' rows in ascending expert order, bf16
// A "pair" is (token, local expert); pairs are numbered expert by expert, tokens ascending.
//
// Numerics follow the reference: dequantised values are fp8 -> fp32 times the fp32 scale (one
// rounding, as in `values.to(float32) * scales`), products summed in fp32 (SIMT FMA), SwiGLU and
// the weighting in fp32, contributions added per token in ascending expert order starting from
// 0 like index_add_ over local experts, one bf16 rounding at the end. Deterministic: every sum
// has a fixed order, no atomics. Routing ties go to the lower index.
#include <cuda_bf16.h>
#include <cuda_fp8.h>

namespace {

constexpr int kExperts = 256;
constexpr int kLocal = 32;
constexpr int kGroups = 8;
constexpr int kGroupSize = kExperts / kGroups;  // 32
constexpr int kKeptGroups = 4;
constexpr int kTopK = 8;
constexpr int kHidden = 7168;
constexpr int kInter = 2048;
constexpr int kGemm1Out = 2 * kInter;             // 4096: up rows 0..2047, gate rows 2048..4095
constexpr int kBlock = 128;                       // quantisation block
constexpr int kHiddenBlocks = kHidden / kBlock;   // 56
constexpr int kInterBlocks = kInter / kBlock;     // 16
constexpr int kGemm1OutBlocks = kGemm1Out / kBlock;  // 32

// GEMM tiling (both GEMMs): 64 pairs x 128 weight rows per block, k-steps of 32, 256 threads,
// each thread 4 pairs x 8 weight rows. Shared tiles hold dequantised fp32, k-major.
constexpr int kBM = 64;
constexpr int kBN = 128;
constexpr int kBK = 32;
constexpr int kGemmThreads = 256;
// Dynamic shared memory of both GEMMs: two stages of a_s and b_s, then one int/float per pair row.
// Above 48 KB on purpose: the harness then opts the kernel in (static + dynamic over 48 KB needs it).
constexpr int kGemmSmem = 2 * kBK * (kBM + kBN) * 4 + kBM * 4;
static_assert(kGemmSmem == 49408, "launch.json passes dyn_smem 49408 to the GEMM kernels");

__device__ __forceinline__ float neg_inf() { return -__int_as_float(0x7f800000); }

__device__ __forceinline__ float fp8_to_float(unsigned char bits) {
  __nv_fp8_e4m3 v;
  v.__x = bits;
  return static_cast<float>(v);  // exact
}

// Byte i (0..3) of a 32-bit word, little-endian: element k0 + i of a row.
__device__ __forceinline__ unsigned char byte_of(unsigned w, int i) { return static_cast<unsigned char>(w >> (8 * i)); }

__device__ __forceinline__ float silu(float x) { return x / (1.f + expf(-x)); }

// Multiply-accumulate of one k-slice: acc[i][j] += a[i] * b[j] (4 pairs x 8 weight rows).
__device__ __forceinline__ void fma_4x8(float (&acc)[4][8], const float4& a, const float4& b0, const float4& b1) {
  const float av[4] = {a.x, a.y, a.z, a.w};
  const float bv[8] = {b0.x, b0.y, b0.z, b0.w, b1.x, b1.y, b1.z, b1.w};
#pragma unroll
  for (int i = 0; i < 4; ++i)
#pragma unroll
    for (int j = 0; j < 8; ++j) acc[i][j] = fmaf(av[i], bv[j], acc[i][j]);
}

// The k loop both GEMMs share: acc (zeroed here) += A-slice x B-slice over `steps` slices of kBK,
// double-buffered in shared memory (a_s, b_s: two stages each). load_global(k0) fetches a slice into
// registers while the previous one is multiplied; store_shared(stage) dequantises it into a stage.
// Warps without pairs skip the FMAs but keep every barrier.
template <class LoadGlobal, class StoreShared>
__device__ __forceinline__ void gemm_k_loop(float (&acc)[4][8], int steps, const float* a_s, const float* b_s,
                                            bool warp_has_rows, int tx, int ty, LoadGlobal load_global,
                                            StoreShared store_shared) {
#pragma unroll
  for (int i = 0; i < 4; ++i)
#pragma unroll
    for (int j = 0; j < 8; ++j) acc[i][j] = 0.f;
  load_global(0);
  store_shared(0);
  __syncthreads();
  for (int step = 0; step < steps; ++step) {
    const int stage = step & 1;
    if (step + 1 < steps) load_global((step + 1) * kBK);  // in flight during the FMAs
    if (warp_has_rows) {
      const float* as = a_s + stage * kBK * kBM;
      const float* bs = b_s + stage * kBK * kBN;
#pragma unroll 8
      for (int kk = 0; kk < kBK; ++kk) {
        const float4 a = *reinterpret_cast<const float4*>(as + kk * kBM + 4 * ty);
        const float4 b0 = *reinterpret_cast<const float4*>(bs + kk * kBN + 4 * tx);
        const float4 b1 = *reinterpret_cast<const float4*>(bs + kk * kBN + kBN / 2 + 4 * tx);
        fma_4x8(acc, a, b0, b1);
      }
    }
    if (step + 1 < steps) store_shared(stage ^ 1);  // that stage was last read before the previous barrier
    __syncthreads();
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Routing. Grid: seq_len blocks of 256 threads (thread e = global expert e).
// tok_w[t][le]: weight of local expert le for token t (0 if not chosen);
// tok_sel[t][le]: 1 if chosen, else 0.
extern "C" __global__ void __launch_bounds__(kExperts) moe_route(
    const float* __restrict__ routing_logits, const __nv_bfloat16* __restrict__ routing_bias,
    int local_expert_offset, float routed_scaling_factor, float* __restrict__ tok_w, int* __restrict__ tok_sel) {
  __shared__ float score[kExperts], biased[kExperts], weight[kExperts];
  __shared__ int chosen[kExperts];
  __shared__ float merit[kGroups];
  __shared__ int kept[kGroups];
  const long long t = blockIdx.x;
  const int e = threadIdx.x;

  const float x = routing_logits[t * kExperts + e];
  score[e] = 1.f / (1.f + expf(-x));                        // sigmoid in fp32
  biased[e] = score[e] + __bfloat162float(routing_bias[e]);  // bias only picks experts
  weight[e] = 0.f;
  chosen[e] = 0;
  if (e < kGroups) kept[e] = 0;
  __syncthreads();

  // Group merit: the sum of its two largest biased scores (an equal pair counts twice).
  if (e < kGroups) {
    const int first = e * kGroupSize;
    int best = first;
    for (int i = first + 1; i < first + kGroupSize; ++i)
      if (biased[i] > biased[best]) best = i;
    int second = -1;
    for (int i = first; i < first + kGroupSize; ++i)
      if (i != best && (second < 0 || biased[i] > biased[second])) second = i;
    merit[e] = biased[best] + biased[second];
  }
  __syncthreads();
  // Keep the 4 groups of highest merit (ties: lower group index).
  if (e == 0) {
    for (int k = 0; k < kKeptGroups; ++k) {
      int best = -1;
      for (int gi = 0; gi < kGroups; ++gi)
        if (!kept[gi] && (best < 0 || merit[gi] > merit[best])) best = gi;
      kept[best] = 1;
    }
  }
  __syncthreads();
  // Top 8 experts of the kept groups by biased score (ties: lower expert index), by warp 0.
  // Lane l holds experts l + 32 j, j = 0..7, so cand[j] belongs to group j.
  if (e < 32) {
    const int lane = e;
    float cand[kGroups];
#pragma unroll
    for (int j = 0; j < kGroups; ++j) cand[j] = kept[j] ? biased[j * kGroupSize + lane] : neg_inf();
    int pick[kTopK];
#pragma unroll
    for (int k = 0; k < kTopK; ++k) {
      float bv = cand[0];
      int bi = lane;
#pragma unroll
      for (int j = 1; j < kGroups; ++j)
        if (cand[j] > bv) { bv = cand[j]; bi = j * kGroupSize + lane; }
      // Warp arg-max; the order (larger value, then smaller index) is total, so all lanes agree.
#pragma unroll
      for (int off = 16; off > 0; off /= 2) {
        const float ov = __shfl_xor_sync(0xffffffffu, bv, off);
        const int oi = __shfl_xor_sync(0xffffffffu, bi, off);
        if (ov > bv || (ov == bv && oi < bi)) { bv = ov; bi = oi; }
      }
      pick[k] = bi;
#pragma unroll
      for (int j = 0; j < kGroups; ++j)
        if (j * kGroupSize + lane == bi) cand[j] = neg_inf();
    }
    if (lane == 0) {
      // w = s / (sum of the chosen s + 1e-20) * routed_scaling_factor, in that order.
      float sum = 0.f;
      for (int k = 0; k < kTopK; ++k) sum += score[pick[k]];
      const float denom = sum + 1e-20f;
      for (int k = 0; k < kTopK; ++k) {
        weight[pick[k]] = score[pick[k]] / denom * routed_scaling_factor;
        chosen[pick[k]] = 1;
      }
    }
  }
  __syncthreads();
  if (e < kLocal) {
    const int ge = local_expert_offset + e;  // experts outside 0..255 are never chosen
    const bool in_range = ge >= 0 && ge < kExperts;
    tok_w[t * kLocal + e] = in_range ? weight[ge] : 0.f;
    tok_sel[t * kLocal + e] = in_range ? chosen[ge] : 0;
  }
}

// ---------------------------------------------------------------------------------------------
// Token lists. Grid: 32 blocks (local expert e) of 1024 threads, scanning tokens in order.
// expert_tokens[e][i]: the i-th token routed to e; tok_pos[t][e]: that i, or -1;
// expert_count[e]: how many.
extern "C" __global__ void __launch_bounds__(1024) moe_count(const int* __restrict__ tok_sel,
                                                             int* __restrict__ tok_pos,
                                                             int* __restrict__ expert_tokens,
                                                             int* __restrict__ expert_count, int seq_len) {
  __shared__ int warp_total[32];
  __shared__ int running;  // tokens of e found in earlier chunks
  const int e = blockIdx.x;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  if (threadIdx.x == 0) running = 0;
  __syncthreads();
  for (int base = 0; base < seq_len; base += 1024) {
    const int t = base + static_cast<int>(threadIdx.x);
    const bool flag = t < seq_len && tok_sel[static_cast<long long>(t) * kLocal + e] != 0;
    const unsigned ballot = __ballot_sync(0xffffffffu, flag);
    if (lane == 0) warp_total[warp] = __popc(ballot);
    __syncthreads();
    int before = running;  // exclusive prefix: earlier chunks, earlier warps, earlier lanes
    for (int w = 0; w < warp; ++w) before += warp_total[w];
    before += __popc(ballot & ((1u << lane) - 1u));
    if (t < seq_len) {
      tok_pos[static_cast<long long>(t) * kLocal + e] = flag ? before : -1;
      if (flag) expert_tokens[static_cast<long long>(e) * seq_len + before] = t;
    }
    __syncthreads();  // everyone has read running and warp_total
    if (threadIdx.x == 0)
      for (int w = 0; w < 32; ++w) running += warp_total[w];
    __syncthreads();
  }
  if (threadIdx.x == 0) expert_count[e] = running;
}

// ---------------------------------------------------------------------------------------------
// Work list. Grid: 1 block of 1 thread. expert_offset[e]: first pair of expert e (33 entries);
// tile_info[2k], tile_info[2k+1]: expert and 64-pair tile index of work item k; tile_count[0]: items.
extern "C" __global__ void moe_plan(const int* __restrict__ expert_count, int* __restrict__ expert_offset,
                                    int* __restrict__ tile_info, int* __restrict__ tile_count) {
  if (threadIdx.x != 0 || blockIdx.x != 0) return;
  int offset = 0, items = 0;
  for (int e = 0; e < kLocal; ++e) {
    expert_offset[e] = offset;
    offset += expert_count[e];
    for (int m = 0; m * kBM < expert_count[e]; ++m) {
      tile_info[2 * items] = e;
      tile_info[2 * items + 1] = m;
      ++items;
    }
  }
  expert_offset[kLocal] = offset;
  tile_count[0] = items;
}

// ---------------------------------------------------------------------------------------------
// GEMM1 + SwiGLU. Grid: (2048 / 64 intermediate-column tiles, max work items); blocks past
// tile_count exit. Block: 256 threads, 49408 bytes of dynamic shared memory.
// b_s columns 0..63 are up rows j0..j0+63 of W13, columns 64..127 the gate rows 2048+j0..; a
// thread owns pairs 4ty..4ty+3 and columns 4tx..4tx+3 of both halves, so SwiGLU is thread-local.
extern "C" __global__ void __launch_bounds__(kGemmThreads, 2) moe_gemm1(
    const unsigned char* __restrict__ hidden_states, const float* __restrict__ hidden_states_scale,
    const unsigned char* __restrict__ gemm1_weights, const float* __restrict__ gemm1_weights_scale,
    const int* __restrict__ expert_tokens, const int* __restrict__ expert_count,
    const int* __restrict__ expert_offset, const int* __restrict__ tile_info, const int* __restrict__ tile_count,
    float* __restrict__ act, int seq_len) {
  extern __shared__ __align__(16) float gemm_smem[];
  float* a_s = gemm_smem;                                          // [2][kBK][kBM]
  float* b_s = a_s + 2 * kBK * kBM;                                // [2][kBK][kBN]
  int* row_token = reinterpret_cast<int*>(b_s + 2 * kBK * kBN);  // [kBM]: token of each pair row, -1 past the end

  if (static_cast<int>(blockIdx.y) >= tile_count[0]) return;
  const int e = tile_info[2 * blockIdx.y], m = tile_info[2 * blockIdx.y + 1];
  const int rows = min(kBM, expert_count[e] - m * kBM);
  const long long pair0 = static_cast<long long>(expert_offset[e]) + m * kBM;
  const int j0 = blockIdx.x * (kBN / 2);
  const int tid = threadIdx.x, tx = tid % 16, ty = tid / 16;
  if (tid < kBM)
    row_token[tid] = tid < rows ? expert_tokens[static_cast<long long>(e) * seq_len + m * kBM + tid] : -1;
  __syncthreads();

  // Loader roles. A: pair ar, 8 bytes at k0 + 8 aseg. B: weight row of column br, 16 bytes at k0 + 16 bseg.
  const int ar = tid % kBM, aseg = tid / kBM;  // aseg 0..3
  const int br = tid % kBN, bseg = tid / kBN;  // bseg 0..1
  const int a_tok = row_token[ar];
  const int w_row = br < kBN / 2 ? j0 + br : kInter + j0 + (br - kBN / 2);
  const unsigned char* a_src = a_tok >= 0 ? hidden_states + static_cast<long long>(a_tok) * kHidden + 8 * aseg : nullptr;
  const unsigned char* b_src = gemm1_weights + (static_cast<long long>(e) * kGemm1Out + w_row) * kHidden + 16 * bseg;
  const float* b_scale = gemm1_weights_scale + (static_cast<long long>(e) * kGemm1OutBlocks + w_row / kBlock) * kHiddenBlocks;

  uint2 a_reg = make_uint2(0u, 0u);
  uint4 b_reg;
  float a_scale = 0.f, w_scale;
  auto load_global = [&](int k0) {
    if (a_src != nullptr) {
      a_reg = *reinterpret_cast<const uint2*>(a_src + k0);
      a_scale = hidden_states_scale[static_cast<long long>(k0 / kBlock) * seq_len + a_tok];  // [block][token]
    }
    b_reg = *reinterpret_cast<const uint4*>(b_src + k0);
    w_scale = b_scale[k0 / kBlock];
  };
  auto store_shared = [&](int stage) {  // dequantise: fp8 value x scale, rounded once to fp32
    float* as = a_s + stage * kBK * kBM;
    float* bs = b_s + stage * kBK * kBN;
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      as[(8 * aseg + i) * kBM + ar] = fp8_to_float(byte_of(a_reg.x, i)) * a_scale;
      as[(8 * aseg + 4 + i) * kBM + ar] = fp8_to_float(byte_of(a_reg.y, i)) * a_scale;
      bs[(16 * bseg + i) * kBN + br] = fp8_to_float(byte_of(b_reg.x, i)) * w_scale;
      bs[(16 * bseg + 4 + i) * kBN + br] = fp8_to_float(byte_of(b_reg.y, i)) * w_scale;
      bs[(16 * bseg + 8 + i) * kBN + br] = fp8_to_float(byte_of(b_reg.z, i)) * w_scale;
      bs[(16 * bseg + 12 + i) * kBN + br] = fp8_to_float(byte_of(b_reg.w, i)) * w_scale;
    }
  };

  float acc[4][8];  // [pair 4ty + i][up 4tx + j for j < 4, gate 4tx + j - 4 for j >= 4]
  const bool warp_has_rows = (tid / 32) * 8 < rows;  // warp w owns pairs 8w..8w+7
  gemm_k_loop(acc, kHidden / kBK, a_s, b_s, warp_has_rows, tx, ty, load_global, store_shared);  // 224 slices

  // SwiGLU: silu(gate) * up (silu on the second half of GEMM1's output).
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const int r = 4 * ty + i;
    if (r < rows) {
      float4 c;
      c.x = silu(acc[i][4]) * acc[i][0];
      c.y = silu(acc[i][5]) * acc[i][1];
      c.z = silu(acc[i][6]) * acc[i][2];
      c.w = silu(acc[i][7]) * acc[i][3];
      *reinterpret_cast<float4*>(act + (pair0 + r) * kInter + j0 + 4 * tx) = c;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// GEMM2 and routing weight. Grid: (7168 / 128 hidden-column tiles, max work items); blocks past
// tile_count exit. Block: 256 threads, 49408 bytes of dynamic shared memory.
// down[pair][h] = (act[pair] . W2[e][h]) * w; a thread owns pairs 4ty..4ty+3 and hidden columns
// h0 + 4tx..4tx+3 and h0 + 64 + 4tx..4tx+3.
extern "C" __global__ void __launch_bounds__(kGemmThreads, 2) moe_gemm2(
    const unsigned char* __restrict__ gemm2_weights, const float* __restrict__ gemm2_weights_scale,
    const float* __restrict__ tok_w, const int* __restrict__ expert_tokens, const int* __restrict__ expert_count,
    const int* __restrict__ expert_offset, const int* __restrict__ tile_info, const int* __restrict__ tile_count,
    const float* __restrict__ act, float* __restrict__ down, int seq_len) {
  extern __shared__ __align__(16) float gemm_smem[];
  float* a_s = gemm_smem;                      // [2][kBK][kBM]
  float* b_s = a_s + 2 * kBK * kBM;            // [2][kBK][kBN]
  float* row_weight = b_s + 2 * kBK * kBN;     // [kBM]: routing weight of each pair row

  if (static_cast<int>(blockIdx.y) >= tile_count[0]) return;
  const int e = tile_info[2 * blockIdx.y], m = tile_info[2 * blockIdx.y + 1];
  const int rows = min(kBM, expert_count[e] - m * kBM);
  const long long pair0 = static_cast<long long>(expert_offset[e]) + m * kBM;
  const int h0 = blockIdx.x * kBN;
  const int tid = threadIdx.x, tx = tid % 16, ty = tid / 16;
  if (tid < kBM) {
    const int tok = tid < rows ? expert_tokens[static_cast<long long>(e) * seq_len + m * kBM + tid] : -1;
    row_weight[tid] = tok >= 0 ? tok_w[static_cast<long long>(tok) * kLocal + e] : 0.f;
  }
  __syncthreads();

  // Loader roles. A: pair ar, 8 floats at k0 + 8 aseg. B: hidden row h0 + br, 16 bytes at k0 + 16 bseg.
  const int ar = tid % kBM, aseg = tid / kBM;
  const int br = tid % kBN, bseg = tid / kBN;
  const float* a_src = ar < rows ? act + (pair0 + ar) * kInter + 8 * aseg : nullptr;
  const unsigned char* b_src = gemm2_weights + (static_cast<long long>(e) * kHidden + h0 + br) * kInter + 16 * bseg;
  const float* b_scale = gemm2_weights_scale + (static_cast<long long>(e) * kHiddenBlocks + h0 / kBlock) * kInterBlocks;

  float4 a_reg0 = make_float4(0.f, 0.f, 0.f, 0.f), a_reg1 = a_reg0;
  uint4 b_reg;
  float w_scale;
  auto load_global = [&](int k0) {
    if (a_src != nullptr) {
      a_reg0 = *reinterpret_cast<const float4*>(a_src + k0);
      a_reg1 = *reinterpret_cast<const float4*>(a_src + k0 + 4);
    }
    b_reg = *reinterpret_cast<const uint4*>(b_src + k0);
    w_scale = b_scale[k0 / kBlock];
  };
  auto store_shared = [&](int stage) {
    float* as = a_s + stage * kBK * kBM;
    float* bs = b_s + stage * kBK * kBN;
    const float av[8] = {a_reg0.x, a_reg0.y, a_reg0.z, a_reg0.w, a_reg1.x, a_reg1.y, a_reg1.z, a_reg1.w};
#pragma unroll
    for (int i = 0; i < 8; ++i) as[(8 * aseg + i) * kBM + ar] = av[i];
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      bs[(16 * bseg + i) * kBN + br] = fp8_to_float(byte_of(b_reg.x, i)) * w_scale;
      bs[(16 * bseg + 4 + i) * kBN + br] = fp8_to_float(byte_of(b_reg.y, i)) * w_scale;
      bs[(16 * bseg + 8 + i) * kBN + br] = fp8_to_float(byte_of(b_reg.z, i)) * w_scale;
      bs[(16 * bseg + 12 + i) * kBN + br] = fp8_to_float(byte_of(b_reg.w, i)) * w_scale;
    }
  };

  float acc[4][8];  // [pair 4ty + i][hidden 4tx + j for j < 4, 64 + 4tx + j - 4 for j >= 4]
  const bool warp_has_rows = (tid / 32) * 8 < rows;
  gemm_k_loop(acc, kInter / kBK, a_s, b_s, warp_has_rows, tx, ty, load_global, store_shared);  // 64 slices

#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const int r = 4 * ty + i;
    if (r < rows) {
      const float w = row_weight[r];
      float* dst = down + (pair0 + r) * kHidden + h0;
      *reinterpret_cast<float4*>(dst + 4 * tx) =
          make_float4(acc[i][0] * w, acc[i][1] * w, acc[i][2] * w, acc[i][3] * w);
      *reinterpret_cast<float4*>(dst + kBN / 2 + 4 * tx) =
          make_float4(acc[i][4] * w, acc[i][5] * w, acc[i][6] * w, acc[i][7] * w);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Combine. Grid: seq_len blocks of 256 threads. output[t] = bf16(sum over routed local experts,
// ascending, of down[pair]); tokens routed to no local expert get zeros.
extern "C" __global__ void __launch_bounds__(256) moe_finalize(__nv_bfloat16* __restrict__ output,
                                                              const int* __restrict__ tok_pos,
                                                              const int* __restrict__ expert_offset,
                                                              const float* __restrict__ down) {
  __shared__ long long pair_of[kLocal];
  const long long t = blockIdx.x;
  if (threadIdx.x < kLocal) {
    const int pos = tok_pos[t * kLocal + threadIdx.x];
    pair_of[threadIdx.x] = pos >= 0 ? static_cast<long long>(expert_offset[threadIdx.x]) + pos : -1;
  }
  __syncthreads();
  for (int c = threadIdx.x; c < kHidden / 4; c += blockDim.x) {
    float4 acc = make_float4(0.f, 0.f, 0.f, 0.f);
    for (int e = 0; e < kLocal; ++e) {
      if (pair_of[e] < 0) continue;
      const float4 v = *reinterpret_cast<const float4*>(down + pair_of[e] * kHidden + 4 * c);
      acc.x += v.x;
      acc.y += v.y;
      acc.z += v.z;
      acc.w += v.w;
    }
    __nv_bfloat162* dst = reinterpret_cast<__nv_bfloat162*>(output + t * kHidden + 4 * c);
    dst[0] = __floats2bfloat162_rn(acc.x, acc.y);
    dst[1] = __floats2bfloat162_rn(acc.z, acc.w);
  }
}
