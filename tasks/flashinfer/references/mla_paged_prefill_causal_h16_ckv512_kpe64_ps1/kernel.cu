// Reference kernel: mla_paged_prefill_causal_h16_ckv512_kpe64_ps1.
//
// One block per query row; its 16 heads form the 16 rows of a tensor-core tile, so every cached
// token row loaded into shared memory serves all 16 heads. Keys are [ckv | kpe] (576 channels),
// values are the ckv rows (512 channels). The visible tokens of the row go through in tiles of
// 32 with an online softmax (flash-attention style), double-buffered with cp.async.
//
// Precision: Q and K are bf16, so bf16 x bf16 -> fp32 mma gives exact products summed in fp32,
// like the fp32 reference. For P.V the fp32 probabilities are split into two bf16 parts
// (p = hi + lo, |p - hi - lo| <= 2^-17 p) so P keeps ~16 significant bits; V is bf16 exactly.
// Softmax state, sums and the output are fp32 until the final bf16 rounding.
// Deterministic: fixed loop orders, no atomics.
#include <cuda_bf16.h>

namespace {

constexpr int kHeads = 16;
constexpr int kDimCkv = 512;
constexpr int kDimKpe = 64;
constexpr int kDimQk = kDimCkv + kDimKpe;  // 576
constexpr int kChunks = kDimQk / 8;        // 16-byte chunks in a [ckv | kpe] row: 72
constexpr int kTile = 32;                  // kv tokens per pipeline stage
constexpr int kPitch = kDimQk + 8;         // smem row pitch [bf16]: +16 B puts ldmatrix rows on distinct banks
constexpr int kSPitch = kTile + 8;         // score tile pitch [floats]
constexpr int kWarps = 4;
constexpr int kThreads = kWarps * 32;
constexpr int kDimPerWarp = kDimCkv / kWarps;  // output channels owned by one warp: 128
constexpr float kLog2e = 1.4426950408889634f;

__device__ __forceinline__ float neg_inf() { return -__int_as_float(0x7f800000); }

__device__ __forceinline__ unsigned smem_u32(const void* p) {
  return static_cast<unsigned>(__cvta_generic_to_shared(p));
}

// 16-byte async copy; when !valid nothing is read and the destination is zero-filled.
__device__ __forceinline__ void cp_async16(void* dst, const void* src, bool valid) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(smem_u32(dst)), "l"(src),
               "r"(valid ? 16 : 0)
               : "memory");
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::: "memory"); }
template <int N>
__device__ __forceinline__ void cp_async_wait() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(N) : "memory");
}

__device__ __forceinline__ void ldmatrix_x4(unsigned (&r)[4], const void* p) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(smem_u32(p))
               : "memory");
}
__device__ __forceinline__ void ldmatrix_x4_trans(unsigned (&r)[4], const void* p) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(smem_u32(p))
               : "memory");
}

// c += a * b for one m16n8k16 tile (A row-major 16x16, B column-major 16x8, fp32 accumulators).
__device__ __forceinline__ void mma_bf16(float (&c)[4], const unsigned (&a)[4], unsigned b0, unsigned b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
      "{%0,%1,%2,%3};\n"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

__device__ __forceinline__ unsigned bf16x2_bits(__nv_bfloat162 v) { return *reinterpret_cast<unsigned*>(&v); }

// Splits the pair (x0, x1) into bf16 high parts and bf16 residuals; x0 goes to the low half.
__device__ __forceinline__ void split_bf16x2(float x0, float x1, unsigned& hi, unsigned& lo) {
  const __nv_bfloat162 h = __floats2bfloat162_rn(x0, x1);
  hi = bf16x2_bits(h);
  lo = bf16x2_bits(__floats2bfloat162_rn(x0 - __low2float(h), x1 - __high2float(h)));
}

}  // namespace

// Grid: one block per query row (heaviest rows of each sequence first), 128 threads,
// 96000 bytes of dynamic shared memory.
// Warp w: scores of tokens 8w..8w+7 of each tile; output channels 128w..128w+127 of all 16 heads.
// Lane layout of an mma tile: g = lane / 4 is the head (and g + 8), q = lane % 4 picks columns.
extern "C" __global__ void __launch_bounds__(kThreads) mla_prefill_causal(
    const __nv_bfloat16* __restrict__ q_nope, const __nv_bfloat16* __restrict__ q_pe,
    const __nv_bfloat16* __restrict__ ckv_cache, const __nv_bfloat16* __restrict__ kpe_cache,
    const int* __restrict__ qo_indptr, const int* __restrict__ kv_indptr, const int* __restrict__ kv_indices,
    float sm_scale, __nv_bfloat16* __restrict__ output, float* __restrict__ lse, int total_q, int len_indptr) {
  extern __shared__ __align__(16) unsigned char smem[];
  __nv_bfloat16* q_s = reinterpret_cast<__nv_bfloat16*>(smem);  // [kHeads][kPitch]
  __nv_bfloat16* kv_s = q_s + kHeads * kPitch;                   // [2][kTile][kPitch]
  float* s_s = reinterpret_cast<float*>(kv_s + 2 * kTile * kPitch);  // [kHeads][kSPitch]

  const int row = total_q - 1 - static_cast<int>(blockIdx.x);
  if (row < 0) return;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int g = lane / 4, q = lane % 4;

  // The sequence b holding this row: qo_indptr[b] <= row < qo_indptr[b + 1] (binary search; with
  // empty sequences the last b with qo_indptr[b] <= row is the one). Query i of the sequence sees
  // positions 0 .. kv_len - q_len + i.
  int visible = 0, kv_first = 0;
  const int num_seqs = len_indptr - 1;
  if (num_seqs > 0 && row >= qo_indptr[0] && row < qo_indptr[num_seqs]) {
    int lo = 0, hi = num_seqs;  // invariant: qo_indptr[lo] <= row < qo_indptr[hi]
    while (hi - lo > 1) {
      const int mid = (lo + hi) / 2;
      if (qo_indptr[mid] <= row) lo = mid; else hi = mid;
    }
    const int q_first = qo_indptr[lo], q_len = qo_indptr[lo + 1] - q_first;
    kv_first = kv_indptr[lo];
    const int kv_len = kv_indptr[lo + 1] - kv_first;
    visible = min(kv_len, kv_len - q_len + (row - q_first) + 1);
  }

  const long long out_row = static_cast<long long>(row) * kHeads;  // first (row, head) index
  if (visible <= 0) {  // nothing visible: output 0 and lse -inf, as the reference leaves the row
    for (int i = threadIdx.x; i < kHeads * kDimCkv; i += kThreads)
      output[out_row * kDimCkv + i] = __float2bfloat16_rn(0.f);
    if (threadIdx.x < kHeads) lse[out_row + threadIdx.x] = neg_inf();
    return;
  }

  // Q rows [h][ckv 0..511 | kpe 0..63] into q_s.
  for (int c = threadIdx.x; c < kHeads * kChunks; c += kThreads) {
    const int h = c / kChunks, part = c % kChunks;
    const __nv_bfloat16* src = part < kDimCkv / 8 ? q_nope + (out_row + h) * kDimCkv + part * 8
                                                  : q_pe + (out_row + h) * kDimKpe + (part - kDimCkv / 8) * 8;
    cp_async16(q_s + h * kPitch + part * 8, src, true);
  }
  // Token rows [n][ckv | kpe] of tile `tile` into stage `stage`; tokens past `visible` are zeros.
  auto load_tile = [&](int tile, int stage) {
    __nv_bfloat16* dst = kv_s + stage * kTile * kPitch;
    for (int c = threadIdx.x; c < kTile * kChunks; c += kThreads) {
      const int n = c / kChunks, part = c % kChunks;
      const int pos = tile * kTile + n;
      const bool valid = pos < visible;
      const long long slot = valid ? kv_indices[kv_first + pos] : 0;  // page_size 1: slot = token
      const __nv_bfloat16* src = part < kDimCkv / 8 ? ckv_cache + slot * kDimCkv + part * 8
                                                    : kpe_cache + slot * kDimKpe + (part - kDimCkv / 8) * 8;
      cp_async16(dst + n * kPitch + part * 8, src, valid);
    }
  };

  const float scale_log2 = sm_scale * kLog2e;  // scores kept in the base-2 domain
  float m_run[2] = {neg_inf(), neg_inf()};     // running max of heads g and g + 8
  float l_run[2] = {0.f, 0.f};                 // running sum of this lane's columns (quad-reduced at the end)
  float o[kDimPerWarp / 8][4];                 // 16 n8 tiles: o[t][0..1] head g, o[t][2..3] head g + 8
#pragma unroll
  for (int t = 0; t < kDimPerWarp / 8; ++t) o[t][0] = o[t][1] = o[t][2] = o[t][3] = 0.f;

  const int num_tiles = (visible + kTile - 1) / kTile;
  load_tile(0, 0);
  cp_async_commit();  // group 0: Q and tile 0
  for (int tile = 0; tile < num_tiles; ++tile) {
    const int stage = tile & 1;
    if (tile + 1 < num_tiles) {
      load_tile(tile + 1, stage ^ 1);
      cp_async_commit();
      cp_async_wait<1>();  // everything but the newest group has landed
    } else {
      cp_async_wait<0>();
    }
    __syncthreads();  // this tile (and Q) visible to all warps
    const __nv_bfloat16* kv = kv_s + stage * kTile * kPitch;

    // S[16 heads][8 tokens] = Q . K^T over 576 channels; B fragments for two k16 steps per ldmatrix.
    float s[4] = {0.f, 0.f, 0.f, 0.f};
#pragma unroll 6
    for (int ks = 0; ks < kDimQk / 16; ks += 2) {
      unsigned a0[4], a1[4], b[4];
      ldmatrix_x4(a0, q_s + (lane % 16) * kPitch + ks * 16 + (lane / 16) * 8);
      ldmatrix_x4(a1, q_s + (lane % 16) * kPitch + (ks + 1) * 16 + (lane / 16) * 8);
      ldmatrix_x4(b, kv + (warp * 8 + lane % 8) * kPitch + ks * 16 + (lane / 8) * 8);
      mma_bf16(s, a0, b[0], b[1]);
      mma_bf16(s, a1, b[2], b[3]);
    }
    {  // scale, mask the future (and the zero-filled tail), publish to s_s
      const int col = warp * 8 + 2 * q;
      const int pos = tile * kTile + col;
      s_s[g * kSPitch + col] = pos < visible ? s[0] * scale_log2 : neg_inf();
      s_s[g * kSPitch + col + 1] = pos + 1 < visible ? s[1] * scale_log2 : neg_inf();
      s_s[(g + 8) * kSPitch + col] = pos < visible ? s[2] * scale_log2 : neg_inf();
      s_s[(g + 8) * kSPitch + col + 1] = pos + 1 < visible ? s[3] * scale_log2 : neg_inf();
    }
    __syncthreads();  // full 16 x 32 score tile ready

    // Online softmax, done identically by every warp for the columns its A fragments need:
    // p[r][j] is head g + 8r, column (j / 4) * 16 + ((j / 2) % 2) * 8 + 2q + j % 2.
    float p[2][8];
    float rescale[2];
#pragma unroll
    for (int r = 0; r < 2; ++r) {
      float tile_max = neg_inf();
#pragma unroll
      for (int j = 0; j < 8; ++j) {
        p[r][j] = s_s[(g + 8 * r) * kSPitch + (j / 4) * 16 + ((j / 2) % 2) * 8 + 2 * q + j % 2];
        tile_max = fmaxf(tile_max, p[r][j]);
      }
      tile_max = fmaxf(tile_max, __shfl_xor_sync(0xffffffffu, tile_max, 1));
      tile_max = fmaxf(tile_max, __shfl_xor_sync(0xffffffffu, tile_max, 2));  // the quad covers all 32 columns
      const float m_new = fmaxf(m_run[r], tile_max);
      const float m_use = m_new == neg_inf() ? 0.f : m_new;  // all masked so far: avoid inf - inf
      rescale[r] = exp2f(m_run[r] - m_use);
      m_run[r] = m_new;
      float sum = 0.f;
#pragma unroll
      for (int j = 0; j < 8; ++j) {
        p[r][j] = exp2f(p[r][j] - m_use);  // masked: exp2(-inf) = 0
        sum += p[r][j];
      }
      l_run[r] = l_run[r] * rescale[r] + sum;
    }
#pragma unroll
    for (int t = 0; t < kDimPerWarp / 8; ++t) {
      o[t][0] *= rescale[0];
      o[t][1] *= rescale[0];
      o[t][2] *= rescale[1];
      o[t][3] *= rescale[1];
    }

    // O[16 heads][128w .. 128w + 127] += P . V, V = ckv rows of the tile (row-major, hence .trans).
#pragma unroll
    for (int kk = 0; kk < kTile / 16; ++kk) {
      unsigned p_hi[4], p_lo[4];  // A fragments: rows g / g + 8, columns 2q.. / 8 + 2q..
      split_bf16x2(p[0][4 * kk + 0], p[0][4 * kk + 1], p_hi[0], p_lo[0]);
      split_bf16x2(p[1][4 * kk + 0], p[1][4 * kk + 1], p_hi[1], p_lo[1]);
      split_bf16x2(p[0][4 * kk + 2], p[0][4 * kk + 3], p_hi[2], p_lo[2]);
      split_bf16x2(p[1][4 * kk + 2], p[1][4 * kk + 3], p_hi[3], p_lo[3]);
#pragma unroll
      for (int np = 0; np < kDimPerWarp / 16; ++np) {  // two n8 tiles per ldmatrix
        unsigned b[4];
        ldmatrix_x4_trans(b, kv + (kk * 16 + ((lane / 8) % 2) * 8 + lane % 8) * kPitch + warp * kDimPerWarp +
                                 np * 16 + (lane / 16) * 8);
        mma_bf16(o[2 * np], p_hi, b[0], b[1]);
        mma_bf16(o[2 * np], p_lo, b[0], b[1]);
        mma_bf16(o[2 * np + 1], p_hi, b[2], b[3]);
        mma_bf16(o[2 * np + 1], p_lo, b[2], b[3]);
      }
    }
    __syncthreads();  // all reads of this stage and of s_s done before they are overwritten
  }

  // Normalise, round to bf16; lse in base 2 (scores were already multiplied by log2 e).
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    float l = l_run[r];
    l += __shfl_xor_sync(0xffffffffu, l, 1);
    l += __shfl_xor_sync(0xffffffffu, l, 2);
    const float inv = 1.f / l;  // l >= 1: the max column contributes exp2(0)
    const long long head_row = out_row + g + 8 * r;
#pragma unroll
    for (int t = 0; t < kDimPerWarp / 8; ++t) {
      const int d = warp * kDimPerWarp + t * 8 + 2 * q;
      *reinterpret_cast<__nv_bfloat162*>(output + head_row * kDimCkv + d) =
          __floats2bfloat162_rn(o[t][2 * r] * inv, o[t][2 * r + 1] * inv);
    }
    if (warp == 0 && q == 0) lse[head_row] = m_run[r] + log2f(l);
  }
}
