// Reference kernels: trimul (AlphaFold3 outgoing triangle multiplicative update, GPUMode TriMul).
//
// Five launches (see launch.json); rows = B*N*N pair positions (b, i, j), H = 128:
//   trimul_layernorm_x  one warp per row: xn = LayerNorm_C(x)                       -> xn [rows][C]
//   trimul_project      xn . {W_lp, W_lg, W_rp, W_rg, W_og}^T with a gating epilogue:
//                       left/right = (proj * mask) * sigmoid(gate), stored d-major
//                       -> left_t, right_t [B][H][N][N]; og = sigmoid(xn . W_og^T) -> og [rows][H]
//   trimul_triangle     per (b, d): T_d[i][j] = sum_k L_d[i][k] * R_d[j][k]         -> t_t [B][H][N][N]
//   trimul_norm_gate    y = LayerNorm_H(T[b,i,j,:]) * og[b,i,j,:]                   -> y [rows][H]
//   trimul_out_proj     out = y . W_to^T                                            -> out [rows][C]
// All three GEMMs are "NT" (both operands k-contiguous) and share one tiled routine, gemm_nt_tile.
//
// Precision: fp32 SIMT FMAs only (no tensor cores, no TF32). LayerNorms are two-pass (mean, then
// the sum of squared deviations) because x can hold huge Cauchy outliers. Deterministic: every sum
// has a fixed order, no atomics. Offsets that can pass 2^31 (anything times N*N or rows) are 64-bit.

namespace {

constexpr int kH = 128;      // hidden_dim
constexpr float kEps = 1e-5f;

// GEMM tiling: 128 x 128 output tile per block, k-slices of 16, 256 threads, each thread an 8 x 8
// micro-tile: rows 4ty..4ty+3 and 64+4ty..64+4ty+3, columns likewise with tx (conflict-free
// float4 shared reads). Shared tiles are k-major with a pitch of 132 floats (float4-aligned rows).
constexpr int kBM = 128, kBN = 128, kBK = 16, kThreads = 256, kPitch = kBM + 4;
constexpr int kStage = kBK * kPitch;               // floats in one operand stage
constexpr int kGemmSmemFloats = 2 * 2 * kStage;    // A and B, two stages each: 33792 bytes
constexpr int kStagePitch = kBM + 1;               // projection epilogue transpose tile [64][129]
static_assert(64 * kStagePitch <= kGemmSmemFloats, "epilogue staging must fit in the GEMM smem");

__device__ __forceinline__ int tile_row(int i, int ty) { return 4 * ty + (i & 3) + (i >> 2) * 64; }
__device__ __forceinline__ int tile_col(int j, int tx) { return 4 * tx + (j & 3) + (j >> 2) * 64; }

__device__ __forceinline__ float sigmoidf(float v) { return 1.f / (1.f + expf(-v)); }

__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
  for (int o = 16; o > 0; o /= 2) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

// acc[i][j] = sum_{k<K} A[tile_row(i)][k] * Bt[tile_col(j)][k]  (zero where out of range).
// A: the block's first row, lda floats per row, m_valid (<= 128) rows exist.
// Bt tile columns 0..63 are rows of b_lo, columns 64..127 rows of b_hi (ldb floats per row,
// n_lo / n_hi of them exist): two separate matrices for the projection's (proj, gate) pairs,
// or b_hi = b_lo + 64 * ldb for a plain B. Tile offsets (row < 128 times ld <= a few thousand)
// fit in int; callers pass 64-bit-offset base pointers.
// Double-buffered: the next slice is loaded into registers while the current one is multiplied.
// Ends with a barrier, so the caller may reuse smem at once.
__device__ __forceinline__ void gemm_nt_tile(float (&acc)[8][8], float* smem, const float* __restrict__ a,
                                             int lda, int m_valid, const float* __restrict__ b_lo,
                                             const float* __restrict__ b_hi, int ldb, int n_lo, int n_hi,
                                             int K) {
  const int tid = threadIdx.x, tx = tid % 16, ty = tid / 16;
  const int kl = tid % kBK, rl = tid / kBK;  // loader: k column kl of rows rl + 16q
  float* a_s = smem;                         // [stage][k][row]
  float* b_s = smem + 2 * kStage;            // [stage][k][col]
  float ra[8], rb[8];
  auto load = [&](int k0) {
    const int k = k0 + kl;
    const bool kin = k < K;
#pragma unroll
    for (int q = 0; q < 8; ++q) {
      const int r = rl + 16 * q;
      ra[q] = (kin && r < m_valid) ? a[r * lda + k] : 0.f;
    }
#pragma unroll
    for (int q = 0; q < 4; ++q) {
      const int n = rl + 16 * q;
      rb[q] = (kin && n < n_lo) ? b_lo[n * ldb + k] : 0.f;
      rb[q + 4] = (kin && n < n_hi) ? b_hi[n * ldb + k] : 0.f;
    }
  };
  auto stash = [&](int stage) {
#pragma unroll
    for (int q = 0; q < 8; ++q) {
      a_s[stage * kStage + kl * kPitch + rl + 16 * q] = ra[q];
      b_s[stage * kStage + kl * kPitch + rl + 16 * q] = rb[q];  // q >= 4: column 64 + rl + 16(q-4)
    }
  };
#pragma unroll
  for (int i = 0; i < 8; ++i)
#pragma unroll
    for (int j = 0; j < 8; ++j) acc[i][j] = 0.f;
  const int steps = (K + kBK - 1) / kBK;
  load(0);
  stash(0);
  __syncthreads();
  for (int step = 0; step < steps; ++step) {
    const int stage = step & 1;
    if (step + 1 < steps) load((step + 1) * kBK);  // in flight during the FMAs
    const float* as = a_s + stage * kStage;
    const float* bs = b_s + stage * kStage;
#pragma unroll
    for (int kk = 0; kk < kBK; ++kk) {
      const float4 a0 = *reinterpret_cast<const float4*>(as + kk * kPitch + 4 * ty);
      const float4 a1 = *reinterpret_cast<const float4*>(as + kk * kPitch + 64 + 4 * ty);
      const float4 b0 = *reinterpret_cast<const float4*>(bs + kk * kPitch + 4 * tx);
      const float4 b1 = *reinterpret_cast<const float4*>(bs + kk * kPitch + 64 + 4 * tx);
      const float av[8] = {a0.x, a0.y, a0.z, a0.w, a1.x, a1.y, a1.z, a1.w};
      const float bv[8] = {b0.x, b0.y, b0.z, b0.w, b1.x, b1.y, b1.z, b1.w};
#pragma unroll
      for (int i = 0; i < 8; ++i)
#pragma unroll
        for (int j = 0; j < 8; ++j) acc[i][j] = fmaf(av[i], bv[j], acc[i][j]);
    }
    // The other stage was last read in the previous step, before the barrier that ended it.
    if (step + 1 < steps) stash(stage ^ 1);
    __syncthreads();
  }
}

// Writes f(acc) to a row-major tile at c (ldc floats per row), m_valid x n_valid of it.
// float4 stores where 4 columns exist and the address is 16-byte aligned, else scalars.
template <class F>
__device__ __forceinline__ void store_tile(const float (&acc)[8][8], float* __restrict__ c, int ldc, int m_valid,
                                           int n_valid, F f) {
  const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
#pragma unroll
  for (int i = 0; i < 8; ++i) {
    const int r = tile_row(i, ty);
    if (r >= m_valid) continue;
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      const int col = tile_col(4 * h, tx);
      float* p = c + static_cast<long long>(r) * ldc + col;
      const float v0 = f(acc[i][4 * h]), v1 = f(acc[i][4 * h + 1]), v2 = f(acc[i][4 * h + 2]),
                  v3 = f(acc[i][4 * h + 3]);
      if (col + 3 < n_valid && (reinterpret_cast<unsigned long long>(p) & 15) == 0) {
        *reinterpret_cast<float4*>(p) = make_float4(v0, v1, v2, v3);
      } else {
        if (col < n_valid) p[0] = v0;
        if (col + 1 < n_valid) p[1] = v1;
        if (col + 2 < n_valid) p[2] = v2;
        if (col + 3 < n_valid) p[3] = v3;
      }
    }
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// LayerNorm over C of each row of x. Grid: ceil(rows / 8) blocks of 256 threads, one warp per
// row; lane l holds channels l + 32q (C <= 1024).
extern "C" __global__ void __launch_bounds__(256) trimul_layernorm_x(
    const float* __restrict__ x, const float* __restrict__ norm_weight, const float* __restrict__ norm_bias,
    float* __restrict__ xn, long long rows, int C) {
  constexpr int kMaxPerLane = 32;
  const long long row = static_cast<long long>(blockIdx.x) * 8 + threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  if (row >= rows) return;  // whole warp; no block barrier below
  const float* xr = x + row * C;
  float v[kMaxPerLane];
  float s = 0.f;
#pragma unroll
  for (int q = 0; q < kMaxPerLane; ++q) {
    const int c = lane + 32 * q;
    v[q] = c < C ? xr[c] : 0.f;
    s += v[q];
  }
  const float mean = warp_sum(s) / C;
  float ss = 0.f;
#pragma unroll
  for (int q = 0; q < kMaxPerLane; ++q) {
    const float d = lane + 32 * q < C ? v[q] - mean : 0.f;
    ss += d * d;
  }
  const float rstd = 1.f / sqrtf(warp_sum(ss) / C + kEps);  // biased variance
  float* out = xn + row * C;
#pragma unroll
  for (int q = 0; q < kMaxPerLane; ++q) {
    const int c = lane + 32 * q;
    if (c < C) out[c] = (v[q] - mean) * rstd * norm_weight[c] + norm_bias[c];
  }
}

// Projections. Grid: B * ceil(N*N / 128) * 5 blocks of 256 threads; block x = tile * 5 + g, so
// the five column groups of one row tile run side by side and share its xn rows in L2. A row tile
// stays inside one batch. Groups: 0,1 left (d 0..63, 64..127), 2,3 right, tile columns 0..63 the
// projection and 64..127 the gate of the same d; 4: the output gate, all 128 d.
// left_t/right_t[b][d][i][k] = left/right[b, i, k, d]; og[row][d] = sigmoid(xn . W_og^T).
extern "C" __global__ void __launch_bounds__(kThreads, 2) trimul_project(
    const float* __restrict__ mask, const float* __restrict__ left_proj_weight,
    const float* __restrict__ right_proj_weight, const float* __restrict__ left_gate_weight,
    const float* __restrict__ right_gate_weight, const float* __restrict__ out_gate_weight,
    const float* __restrict__ xn, float* __restrict__ left_t, float* __restrict__ right_t,
    float* __restrict__ og, int N, int C) {
  __shared__ __align__(16) float smem[kGemmSmemFloats];
  const long long nn = static_cast<long long>(N) * N;
  const int tiles_per_batch = static_cast<int>((nn + kBM - 1) / kBM);
  const int g = blockIdx.x % 5, tile = blockIdx.x / 5;
  const int b = tile / tiles_per_batch;
  const long long m0 = static_cast<long long>(tile % tiles_per_batch) * kBM;  // row within batch b
  const int m_valid = static_cast<int>(min(static_cast<long long>(kBM), nn - m0));
  const long long row0 = b * nn + m0;  // global row of the tile's first row
  const int d_base = (g & 1) * 64;
  const float* w_lo = g == 4 ? out_gate_weight : (g < 2 ? left_proj_weight : right_proj_weight) + d_base * C;
  const float* w_hi = g == 4 ? out_gate_weight + 64 * C : (g < 2 ? left_gate_weight : right_gate_weight) + d_base * C;

  float acc[8][8];
  gemm_nt_tile(acc, smem, xn + row0 * C, C, m_valid, w_lo, w_hi, C, 64, 64, C);

  if (g == 4) {
    store_tile(acc, og + row0 * kH, kH, m_valid, kH, [](float v) { return sigmoidf(v); });
    return;
  }
  // (proj * mask) * sigmoid(gate), as the reference orders it; transposed through smem so the
  // d-major stores are coalesced along k.
  const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
#pragma unroll
  for (int i = 0; i < 8; ++i) {
    const int r = tile_row(i, ty);
    const float m = r < m_valid ? mask[row0 + r] : 0.f;
#pragma unroll
    for (int j = 0; j < 4; ++j) smem[(4 * tx + j) * kStagePitch + r] = acc[i][j] * m * sigmoidf(acc[i][j + 4]);
  }
  __syncthreads();
  float* dst = (g < 2 ? left_t : right_t) + (static_cast<long long>(b) * kH + d_base) * nn + m0;
  for (int e = threadIdx.x; e < 64 * kBM; e += kThreads) {
    const int dl = e / kBM, r = e % kBM;
    if (r < m_valid) dst[dl * nn + r] = smem[dl * kStagePitch + r];
  }
}

// Triangle product. Grid: (ceil(N/128)^2, B * H) blocks of 256 threads; block y = b * H + d.
// t_t[b][d][i][j] = sum_k left_t[b][d][i][k] * right_t[b][d][j][k].
extern "C" __global__ void __launch_bounds__(kThreads, 2) trimul_triangle(
    const float* __restrict__ left_t, const float* __restrict__ right_t, float* __restrict__ t_t, int N) {
  __shared__ __align__(16) float smem[kGemmSmemFloats];
  const long long nn = static_cast<long long>(N) * N;
  const int tiles = (N + kBN - 1) / kBN;
  const int i0 = (blockIdx.x / tiles) * kBM, j0 = (blockIdx.x % tiles) * kBN;
  const long long base = static_cast<long long>(blockIdx.y) * nn;  // (b * H + d) * N * N
  const int m_valid = min(kBM, N - i0), n_valid = min(kBN, N - j0);
  const float* rb = right_t + base + static_cast<long long>(j0) * N;

  float acc[8][8];
  gemm_nt_tile(acc, smem, left_t + base + static_cast<long long>(i0) * N, N, m_valid, rb, rb + 64 * N, N,
               min(64, n_valid), max(0, n_valid - 64), N);
  store_tile(acc, t_t + base + static_cast<long long>(i0) * N + j0, N, m_valid, n_valid, [](float v) { return v; });
}

// LayerNorm over H of T[b,i,j,:], times og. Grid: (ceil(N/32), N, B) blocks of 256 threads;
// block (jt, i, b) covers j = 32 jt .. 32 jt + 31. The d-major T slab is staged in smem (coalesced
// along j), then warp w normalises positions w, w+8, ...; lane l holds d = l + 32q.
extern "C" __global__ void __launch_bounds__(256) trimul_norm_gate(
    const float* __restrict__ to_out_norm_weight, const float* __restrict__ to_out_norm_bias,
    const float* __restrict__ t_t, const float* __restrict__ og, float* __restrict__ y, int N) {
  __shared__ float tile[kH][33];  // pitch 33: the per-j column reads hit distinct banks
  const int j0 = blockIdx.x * 32, i = blockIdx.y, b = blockIdx.z;
  const long long nn = static_cast<long long>(N) * N;
  const float* src = t_t + static_cast<long long>(b) * kH * nn + static_cast<long long>(i) * N + j0;
  for (int e = threadIdx.x; e < kH * 32; e += 256) {
    const int d = e / 32, jj = e % 32;
    tile[d][jj] = j0 + jj < N ? src[d * nn + jj] : 0.f;
  }
  __syncthreads();
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  for (int jj = warp; jj < 32 && j0 + jj < N; jj += 8) {
    float v[4], s = 0.f;
#pragma unroll
    for (int q = 0; q < 4; ++q) s += (v[q] = tile[lane + 32 * q][jj]);
    const float mean = warp_sum(s) / kH;
    float ss = 0.f;
#pragma unroll
    for (int q = 0; q < 4; ++q) ss += (v[q] - mean) * (v[q] - mean);
    const float rstd = 1.f / sqrtf(warp_sum(ss) / kH + kEps);
    const long long row = (static_cast<long long>(b) * N + i) * N + j0 + jj;
#pragma unroll
    for (int q = 0; q < 4; ++q) {
      const int d = lane + 32 * q;
      const float n = (v[q] - mean) * rstd * to_out_norm_weight[d] + to_out_norm_bias[d];
      y[row * kH + d] = n * og[row * kH + d];
    }
  }
}

// Output projection. Grid: ceil(rows / 128) * ceil(C / 128) blocks of 256 threads; block x =
// row tile * col tiles + col tile, so the column tiles of one row tile share its y rows in L2.
// out[row][c] = sum_h y[row][h] * to_out_weight[c][h].
extern "C" __global__ void __launch_bounds__(kThreads, 2) trimul_out_proj(
    const float* __restrict__ to_out_weight, float* __restrict__ out, const float* __restrict__ y,
    long long rows, int C) {
  __shared__ __align__(16) float smem[kGemmSmemFloats];
  const int col_tiles = (C + kBN - 1) / kBN;
  const long long m0 = static_cast<long long>(blockIdx.x / col_tiles) * kBM;
  const int n0 = (blockIdx.x % col_tiles) * kBN;
  const int m_valid = static_cast<int>(min(static_cast<long long>(kBM), rows - m0));
  const int n_valid = min(kBN, C - n0);
  const float* w = to_out_weight + static_cast<long long>(n0) * kH;

  float acc[8][8];
  gemm_nt_tile(acc, smem, y + m0 * kH, kH, m_valid, w, w + 64 * kH, kH, min(64, n_valid), max(0, n_valid - 64), kH);
  store_tile(acc, out + m0 * C + n0, C, m_valid, n_valid, [](float v) { return v; });
}
