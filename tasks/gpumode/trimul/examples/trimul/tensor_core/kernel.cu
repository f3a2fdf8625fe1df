// TriMul (AlphaFold3 outgoing triangle multiplicative update), hidden width H = 128, on fp16
// tensor cores (mma.sync m16n8k16, fp32 accumulate). Four kernels:
//   1. trimul_prep_weights: the five [H, C] projection weights and to_out [C, H] -> fp16 (w16).
//   2. trimul_project_bm{128,64}: per tile of BM tokens (token t = (b*N + i)*N + k): LayerNorm_C
//      of x into shared memory as fp16 (fp32 statistics), then the [BM x C] * [C x 640] GEMM in
//      chunks of 32 hidden dims (5 x 32 weight rows), with the gating epilogue in registers:
//      left = p_lp * mask * sigmoid(p_lg), right likewise, og = sigmoid(p_og).
//      left/right go to [B, H, N, Np] (Np = N rounded up to 8): per (b, d) an N x N matrix whose
//      rows have k contiguous, which is what the triangle GEMM reads. og goes to [tokens, H].
//   3. trimul_triangle: per (b, d), T_d = L_d * R_d^T (M = N = K = N), 128 x 128 tiles, a 4-stage
//      cp.async pipeline. T is stored as fp16 [B, H, N, Np] scaled by t_scale = 1/N so that it
//      cannot overflow (|T / N| <= max |left * right|); LayerNorm is scale-invariant once eps is
//      scaled too, so kernel 4 uses eps * t_scale^2.
//   4. trimul_output: per (b, i) and 128 consecutive j: LayerNorm_H of T (fp32 statistics),
//      times og, into shared memory as fp16, then [128 x H] * [H x C] with to_out, fp32 out.
// Zero-filling cp.async (src-size < 16) covers every ragged edge, so any N >= 1 works; C must be
// a multiple of 64 (the definition allows 128, 256, 384, 768), C <= 384 for the BM = 128 kernel 2.
#include <cuda_fp16.h>

namespace {

using i64 = long long;
constexpr int H = 128;        // hidden_dim (a const axis of the definition)
constexpr int NPROJ = 5;      // w16 order: left_proj, right_proj, left_gate, right_gate, out_gate
constexpr int DC = 32;        // hidden dims per projection chunk
constexpr int WROWS = NPROJ * DC;  // weight rows per chunk: 160
constexpr int BK = 32;        // k per pipeline stage (projection and triangle)
constexpr int LDK = BK + 8;   // padded smem row (80 bytes): ldmatrix rows hit distinct banks
constexpr int PSTAGES = 3;    // projection weight pipeline depth

__device__ __forceinline__ unsigned smem_u32(const void* p) {
  return static_cast<unsigned>(__cvta_generic_to_shared(p));
}
// 16-byte async copy; bytes beyond src_bytes (0..16) are zero-filled and not read.
__device__ __forceinline__ void cp_async16(void* dst, const void* src, int src_bytes) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(smem_u32(dst)), "l"(src),
               "r"(src_bytes));
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }
template <int N>
__device__ __forceinline__ void cp_async_wait() { asm volatile("cp.async.wait_group %0;\n" ::"n"(N)); }

// Four 8x8 b16 matrices; lanes 8m..8m+7 give the row addresses of matrix m, register m gets it.
__device__ __forceinline__ void ldmatrix_x4(unsigned (&r)[4], const __half* p) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(smem_u32(p)));
}
// A fragment of rows [0,16) x k [0,16) from a row-major (k-contiguous) tile at p.
__device__ __forceinline__ void load_a(unsigned (&a)[4], const __half* p, int ld, int lane) {
  ldmatrix_x4(a, p + (lane & 15) * ld + (lane >> 4) * 8);
}
// B fragments of two n8 tiles (rows n [0,8) -> b[0..1], [8,16) -> b[2..3]) x k [0,16), from an
// [n][k] (k-contiguous) tile at p: exactly the "col" operand of mma.m16n8k16.
__device__ __forceinline__ void load_b2(unsigned (&b)[4], const __half* p, int ld, int lane) {
  ldmatrix_x4(b, p + ((lane & 7) + ((lane >> 4) << 3)) * ld + ((lane >> 3) & 1) * 8);
}
// d += a * b. Accumulator e of lane l: row l/4 + 8*(e/2), column 2*(l%4) + e%2.
__device__ __forceinline__ void mma16816(float (&d)[4], const unsigned (&a)[4], unsigned b0, unsigned b1) {
  asm("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
      "{%0,%1,%2,%3};\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}
__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}
__device__ __forceinline__ float sigmoid(float v) { return __fdividef(1.f, 1.f + __expf(-v)); }

// ---- kernel 2 body: LayerNorm_C + projections + gates for BM tokens --------------------------
// 2*BM threads; warp (wm, wn) = (warp / 2, warp % 2) owns tokens [32 wm, 32 wm + 32) and, in each
// chunk, hidden dims [16 wn, 16 wn + 16) of all five projections, so the five values one gate
// needs sit in the same thread. MAXV = float4s per lane per x row (C <= 128 * MAXV).
// Shared memory: sA [BM][C+8] fp16 xn | sW [PSTAGES][160][LDK] | sLt, sRt [DC][BM+8] (left and
// right transposed, tokens contiguous) | sO [BM][DC+8] | sMask [BM] f32.
template <int BM, int MAXV>
__device__ __forceinline__ void project_tile(const float* __restrict__ x, const float* __restrict__ mask,
                                             const float* __restrict__ norm_w, const float* __restrict__ norm_b,
                                             const __half* __restrict__ w16, __half* __restrict__ left,
                                             __half* __restrict__ right, __half* __restrict__ og, int B, int N,
                                             int C) {
  constexpr int NT = 2 * BM, NWARPS = NT / 32, RB = 4;  // RB rows in flight per warp in LayerNorm
  constexpr int LDT = BM + 8, LDO = DC + 8;
  extern __shared__ __align__(16) unsigned char smem[];
  const int lda = C + 8;
  __half* sA = reinterpret_cast<__half*>(smem);
  __half* sW = sA + BM * lda;
  __half* sLt = sW + PSTAGES * WROWS * LDK;
  __half* sRt = sLt + DC * LDT;
  __half* sO = sRt + DC * LDT;
  float* sMask = reinterpret_cast<float*>(sO + BM * LDO);

  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5, wm = warp >> 1, wn = warp & 1;
  const int NN = N * N, rows = B * NN, Np = (N + 7) & ~7;
  const int tile0 = blockIdx.x * BM;
  const int KT = C / BK, total = (H / DC) * KT;  // pipeline iterations over (chunk, k tile)

  // Weight rows of iteration `it`: projection g, hidden dim dc*32 + r % 32, k tile kt.
  auto load_w = [&](int it) {
    const int dc = it / KT, kt = it % KT;
    __half* dst = sW + (it % PSTAGES) * WROWS * LDK;
    for (int c = tid; c < WROWS * (BK / 8); c += NT) {
      const int r = c >> 2, ch = c & 3;
      const __half* src = w16 + (i64)((r / DC) * H + dc * DC + r % DC) * C + kt * BK + ch * 8;
      cp_async16(dst + r * LDK + ch * 8, src, 16);
    }
  };
#pragma unroll
  for (int s = 0; s < PSTAGES - 1; ++s) {  // weights stream in while LayerNorm runs
    if (s < total) load_w(s);
    cp_async_commit();
  }

  // LayerNorm: warp handles rows warp + q * NWARPS, RB at a time with all loads issued first.
  const int C4 = C / 4;
  const float4* x4 = reinterpret_cast<const float4*>(x);
  const float4* nw4 = reinterpret_cast<const float4*>(norm_w);
  const float4* nb4 = reinterpret_cast<const float4*>(norm_b);
  for (int q0 = 0; q0 < BM / NWARPS; q0 += RB) {
    float4 v[RB][MAXV];
#pragma unroll
    for (int u = 0; u < RB; ++u) {
      const int t = tile0 + warp + (q0 + u) * NWARPS;
#pragma unroll
      for (int j = 0; j < MAXV; ++j) {
        const int c4 = lane + 32 * j;
        v[u][j] = (t < rows && c4 < C4) ? __ldcs(x4 + (i64)t * C4 + c4) : make_float4(0.f, 0.f, 0.f, 0.f);
      }
    }
#pragma unroll
    for (int u = 0; u < RB; ++u) {
      const int r = warp + (q0 + u) * NWARPS, t = tile0 + r;
      float s = 0.f;
#pragma unroll
      for (int j = 0; j < MAXV; ++j) s += (v[u][j].x + v[u][j].y) + (v[u][j].z + v[u][j].w);
      const float mean = warp_sum(s) / C;
      float q = 0.f;
#pragma unroll
      for (int j = 0; j < MAXV; ++j) {
        if (lane + 32 * j < C4) {
          const float a = v[u][j].x - mean, b = v[u][j].y - mean, c = v[u][j].z - mean, d = v[u][j].w - mean;
          q += (a * a + b * b) + (c * c + d * d);
        }
      }
      const float rstd = rsqrtf(warp_sum(q) / C + 1e-5f);  // biased variance, as torch
#pragma unroll
      for (int j = 0; j < MAXV; ++j) {
        const int c4 = lane + 32 * j;
        if (c4 < C4) {
          const float4 w = __ldg(nw4 + c4), b = __ldg(nb4 + c4);
          __half2 lo = __floats2half2_rn((v[u][j].x - mean) * rstd * w.x + b.x, (v[u][j].y - mean) * rstd * w.y + b.y);
          __half2 hi = __floats2half2_rn((v[u][j].z - mean) * rstd * w.z + b.z, (v[u][j].w - mean) * rstd * w.w + b.w);
          if (t >= rows) lo = hi = __float2half2_rn(0.f);  // tail rows: finite, never stored
          __half2* dst = reinterpret_cast<__half2*>(sA + r * lda + 4 * c4);
          dst[0] = lo;
          dst[1] = hi;
        }
      }
      if (lane == 0) sMask[r] = t < rows ? mask[t] : 0.f;
    }
  }
  // (the first loop iteration's __syncthreads publishes sA and sMask)

  float acc[2][NPROJ][2][4];  // [m16 tile][projection][n8 tile][element]
  int it = 0;
  for (int dc = 0; dc < H / DC; ++dc) {
#pragma unroll
    for (int mi = 0; mi < 2; ++mi)
#pragma unroll
      for (int g = 0; g < NPROJ; ++g)
#pragma unroll
        for (int ni = 0; ni < 2; ++ni)
#pragma unroll
          for (int e = 0; e < 4; ++e) acc[mi][g][ni][e] = 0.f;

    for (int kt = 0; kt < KT; ++kt, ++it) {
      cp_async_wait<PSTAGES - 2>();  // iteration it's weights have landed (this thread's copies)
      __syncthreads();               // ... everyone's; and stage (it-1) % PSTAGES is free again
      if (it + PSTAGES - 1 < total) load_w(it + PSTAGES - 1);
      cp_async_commit();
      const __half* w = sW + (it % PSTAGES) * WROWS * LDK;
#pragma unroll 1  // unrolled, ptxas spills at the 128-register cap of two blocks per SM
      for (int kk = 0; kk < BK; kk += 16) {
        unsigned a[2][4];
#pragma unroll
        for (int mi = 0; mi < 2; ++mi) load_a(a[mi], sA + (wm * 32 + mi * 16) * lda + kt * BK + kk, lda, lane);
#pragma unroll
        for (int g = 0; g < NPROJ; ++g) {
          unsigned b[4];
          load_b2(b, w + (g * DC + wn * 16) * LDK + kk, LDK, lane);
#pragma unroll
          for (int mi = 0; mi < 2; ++mi) {
            mma16816(acc[mi][g][0], a[mi], b[0], b[1]);
            mma16816(acc[mi][g][1], a[mi], b[2], b[3]);
          }
        }
      }
    }

    // Gating epilogue into the staging tiles (previous chunk's readers passed a barrier above).
#pragma unroll
    for (int mi = 0; mi < 2; ++mi)
#pragma unroll
      for (int ni = 0; ni < 2; ++ni)
#pragma unroll
        for (int e = 0; e < 4; ++e) {
          const int r = wm * 32 + mi * 16 + (lane >> 2) + (e >> 1) * 8;
          const int dl = wn * 16 + ni * 8 + (lane & 3) * 2 + (e & 1);
          const float m = sMask[r];
          sLt[dl * LDT + r] = __float2half_rn(acc[mi][0][ni][e] * m * sigmoid(acc[mi][2][ni][e]));
          sRt[dl * LDT + r] = __float2half_rn(acc[mi][1][ni][e] * m * sigmoid(acc[mi][3][ni][e]));
          sO[r * LDO + dl] = __float2half_rn(sigmoid(acc[mi][4][ni][e]));
        }
    __syncthreads();

    // left/right[b, d, i, k] at ((b*H + d) * N + i) * Np + k; token t - b*N*N = i*N + k.
    if (N % 8 == 0) {  // Np == N: 8 tokens of an aligned group are 16 contiguous bytes
      for (int idx = tid; idx < 2 * DC * (BM / 8); idx += NT) {
        const int which = idx / (DC * (BM / 8)), rem = idx % (DC * (BM / 8));
        const int dl = rem / (BM / 8), grp = rem % (BM / 8), t0 = tile0 + grp * 8;
        if (t0 >= rows) continue;
        const int b = t0 / NN, p = t0 - b * NN;
        const uint4 val = *reinterpret_cast<const uint4*>((which ? sRt : sLt) + dl * LDT + grp * 8);
        *reinterpret_cast<uint4*>((which ? right : left) + (i64)(b * H + dc * DC + dl) * NN + p) = val;
      }
    } else {
      for (int idx = tid; idx < 2 * DC * BM; idx += NT) {
        const int which = idx / (DC * BM), rem = idx % (DC * BM);
        const int dl = rem / BM, r = rem % BM, t = tile0 + r;
        if (t >= rows) continue;
        const int b = t / NN, p = t - b * NN, i = p / N, k = p - i * N;
        (which ? right : left)[((i64)(b * H + dc * DC + dl) * N + i) * Np + k] = (which ? sRt : sLt)[dl * LDT + r];
      }
    }
    for (int idx = tid; idx < BM * (DC / 8); idx += NT) {  // og[t, dc*32 .. +32): 4 x 16 bytes
      const int r = idx >> 2, ch = idx & 3;
      if (tile0 + r < rows)
        *reinterpret_cast<uint4*>(og + (i64)(tile0 + r) * H + dc * DC + ch * 8) =
            *reinterpret_cast<const uint4*>(sO + r * LDO + ch * 8);
    }
  }
}

}  // namespace

// Kernel 1: w16 = [left_proj, right_proj, left_gate, right_gate, out_gate] ([5][H][C]) then
// to_out ([C][H]), all fp16. Grid-stride over 6 * H * C elements.
extern "C" __global__ void trimul_prep_weights(const float* __restrict__ lp, const float* __restrict__ rp,
                                               const float* __restrict__ lg, const float* __restrict__ rg,
                                               const float* __restrict__ og, const float* __restrict__ wo,
                                               __half* __restrict__ w16, int C) {
  const int n = H * C;
  for (int idx = blockIdx.x * blockDim.x + threadIdx.x; idx < 6 * n; idx += gridDim.x * blockDim.x) {
    const int g = idx / n, e = idx - g * n;
    const float* src = g == 0 ? lp : g == 1 ? rp : g == 2 ? lg : g == 3 ? rg : g == 4 ? og : wo;
    w16[idx] = __float2half_rn(src[e]);
  }
}

// Kernel 2 for C <= 384: 128 tokens per block, 256 threads, two blocks per SM at C = 128.
extern "C" __global__ void __launch_bounds__(256, 2)
    trimul_project_bm128(const float* __restrict__ x, const float* __restrict__ mask, const float* __restrict__ norm_w,
                         const float* __restrict__ norm_b, const __half* __restrict__ w16, __half* __restrict__ left,
                         __half* __restrict__ right, __half* __restrict__ og, int B, int N, int C) {
  project_tile<128, 3>(x, mask, norm_w, norm_b, w16, left, right, og, B, N, C);
}

// Kernel 2 for C <= 768 (xn of 128 tokens would not fit in shared memory): 64 tokens, 128 threads.
extern "C" __global__ void __launch_bounds__(128, 1)
    trimul_project_bm64(const float* __restrict__ x, const float* __restrict__ mask, const float* __restrict__ norm_w,
                        const float* __restrict__ norm_b, const __half* __restrict__ w16, __half* __restrict__ left,
                        __half* __restrict__ right, __half* __restrict__ og, int B, int N, int C) {
  project_tile<64, 6>(x, mask, norm_w, norm_b, w16, left, right, og, B, N, C);
}

// Kernel 3: grid (j tiles, i tiles, b*H + d), 128 threads; warp (wm, wn) owns the 64 x 64
// sub-tile (i: 64 wm.., j: 64 wn..). Shared memory: 4 stages x {L [128][LDK], R [128][LDK]}.
extern "C" __global__ void __launch_bounds__(128, 2)
    trimul_triangle(const __half* __restrict__ left, const __half* __restrict__ right, __half* __restrict__ t16, int N,
                    float t_scale) {
  constexpr int BT = 128, STAGES = 4;
  extern __shared__ __align__(16) unsigned char smem[];
  __half* sm = reinterpret_cast<__half*>(smem);
  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5, wm = warp >> 1, wn = warp & 1;
  const int Np = (N + 7) & ~7;
  const i64 mat = (i64)blockIdx.z * N * Np;  // start of the (b, d) matrix in each tensor
  const __half* L = left + mat;
  const __half* R = right + mat;
  const int i0 = blockIdx.y * BT, j0 = blockIdx.x * BT, KT = (N + BK - 1) / BK;

  // Stage s holds L rows i0.. and R rows j0.., k in [kt*32, kt*32+32); rows >= N and k >= N read 0.
  auto load = [&](int kt) {
    __half* dst = sm + (kt % STAGES) * 2 * BT * LDK;
    for (int c = tid; c < 2 * BT * (BK / 8); c += 128) {
      const int which = c / (BT * (BK / 8)), r = (c >> 2) % BT, ch = c & 3;
      const int row = (which ? j0 : i0) + r, k = kt * BK + ch * 8;
      const int valid = row < N ? min(max(N - k, 0), 8) : 0;
      const __half* src = (which ? R : L) + (valid ? (i64)row * Np + k : 0);
      cp_async16(dst + which * BT * LDK + r * LDK + ch * 8, src, valid * 2);
    }
  };
#pragma unroll
  for (int s = 0; s < STAGES - 1; ++s) {
    if (s < KT) load(s);
    cp_async_commit();
  }

  float acc[4][8][4];
#pragma unroll
  for (int mi = 0; mi < 4; ++mi)
#pragma unroll
    for (int ni = 0; ni < 8; ++ni)
#pragma unroll
      for (int e = 0; e < 4; ++e) acc[mi][ni][e] = 0.f;

  for (int kt = 0; kt < KT; ++kt) {
    cp_async_wait<STAGES - 2>();
    __syncthreads();
    if (kt + STAGES - 1 < KT) load(kt + STAGES - 1);
    cp_async_commit();
    const __half* sL = sm + (kt % STAGES) * 2 * BT * LDK;
    const __half* sR = sL + BT * LDK;
#pragma unroll
    for (int kk = 0; kk < BK; kk += 16) {
      unsigned a[4][4], b[4][4];
#pragma unroll
      for (int mi = 0; mi < 4; ++mi) load_a(a[mi], sL + (wm * 64 + mi * 16) * LDK + kk, LDK, lane);
#pragma unroll
      for (int nj = 0; nj < 4; ++nj) load_b2(b[nj], sR + (wn * 64 + nj * 16) * LDK + kk, LDK, lane);
#pragma unroll
      for (int mi = 0; mi < 4; ++mi)
#pragma unroll
        for (int ni = 0; ni < 8; ++ni) mma16816(acc[mi][ni], a[mi], b[ni >> 1][(ni & 1) * 2], b[ni >> 1][(ni & 1) * 2 + 1]);
    }
  }

  // T[b, d, i, j] * t_scale as fp16; j even and Np a multiple of 8, so j + 1 < Np.
  __half* T = t16 + mat;
#pragma unroll
  for (int mi = 0; mi < 4; ++mi)
#pragma unroll
    for (int ni = 0; ni < 8; ++ni)
#pragma unroll
      for (int h = 0; h < 2; ++h) {
        const int i = i0 + wm * 64 + mi * 16 + (lane >> 2) + h * 8;
        const int j = j0 + wn * 64 + ni * 8 + (lane & 3) * 2;
        if (i < N && j < N)
          *reinterpret_cast<__half2*>(T + (i64)i * Np + j) =
              __floats2half2_rn(acc[mi][ni][2 * h] * t_scale, acc[mi][ni][2 * h + 1] * t_scale);
      }
}

// Kernel 4: grid (j tiles of 128, i, b), 256 threads. Shared memory: sT [H][136] (T^T tile, j
// contiguous) | sY [128][136] (og, then y in place) | sWo [2][64][136] (to_out rows, double
// buffered) | sSum, sSq [2][128] f32. Warp (wm, wn) = (warp / 2, warp % 2) computes tokens
// [32 wm, +32) x columns [32 wn, +32) of each 64-column chunk of out.
extern "C" __global__ void __launch_bounds__(256, 2)
    trimul_output(const float* __restrict__ ln_w, const float* __restrict__ ln_b, float* __restrict__ out,
                  const __half* __restrict__ w16, const __half* __restrict__ t16, const __half* __restrict__ og16,
                  int N, int C, float t_scale) {
  constexpr int BJ = 128, LD = 136, NCH = 64;
  extern __shared__ __align__(16) unsigned char smem[];
  __half* sT = reinterpret_cast<__half*>(smem);
  __half* sY = sT + H * LD;
  __half* sWo = sY + BJ * LD;
  float* sSum = reinterpret_cast<float*>(sWo + 2 * NCH * LD);
  float* sSq = sSum + 2 * BJ;
  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5, wm = warp >> 1, wn = warp & 1;
  const int b = blockIdx.z, i = blockIdx.y, j0 = blockIdx.x * BJ, Np = (N + 7) & ~7;
  const i64 tok0 = ((i64)b * N + i) * N + j0;  // token (b, i, j0)
  const __half* wo16 = w16 + 5 * H * C;

  for (int c = tid; c < H * (BJ / 8); c += 256) {  // T[b, d, i, j0 .. j0+128)
    const int d = c >> 4, j = j0 + (c & 15) * 8, valid = min(max(N - j, 0), 8);
    const __half* src = t16 + ((i64)(b * H + d) * N + i) * Np + (valid ? j : 0);
    cp_async16(sT + d * LD + (c & 15) * 8, src, valid * 2);
  }
  for (int c = tid; c < BJ * (H / 8); c += 256) {  // og rows of the 128 tokens (contiguous)
    const int r = c >> 4, valid = j0 + r < N;
    cp_async16(sY + r * LD + (c & 15) * 8, og16 + (valid ? (tok0 + r) * H + (c & 15) * 8 : 0), valid ? 16 : 0);
  }
  cp_async_commit();
  auto load_wo = [&](int nc) {  // to_out rows nc*64 .. +64, all H columns
    __half* dst = sWo + (nc & 1) * NCH * LD;
    for (int c = tid; c < NCH * (H / 8); c += 256)
      cp_async16(dst + (c >> 4) * LD + (c & 15) * 8, wo16 + (i64)(nc * NCH + (c >> 4)) * H + (c & 15) * 8, 16);
  };
  load_wo(0);
  cp_async_commit();
  cp_async_wait<1>();  // T and og have landed
  __syncthreads();

  // LayerNorm over d: thread (j, part) holds d in [64 part, +64) of token j in registers.
  const int j = tid & (BJ - 1), part = tid >> 7;
  float tv[64];
  float s = 0.f;
#pragma unroll
  for (int d = 0; d < 64; ++d) {
    tv[d] = __half2float(sT[(part * 64 + d) * LD + j]);
    s += tv[d];
  }
  sSum[part * BJ + j] = s;
  __syncthreads();
  const float mean = (sSum[j] + sSum[BJ + j]) * (1.f / H);
  float q = 0.f;
#pragma unroll
  for (int d = 0; d < 64; ++d) q += (tv[d] - mean) * (tv[d] - mean);
  sSq[part * BJ + j] = q;
  __syncthreads();
  const float rstd = rsqrtf((sSq[j] + sSq[BJ + j]) * (1.f / H) + 1e-5f * t_scale * t_scale);
#pragma unroll
  for (int d8 = 0; d8 < 64; d8 += 8) {
    uint4* p = reinterpret_cast<uint4*>(sY + j * LD + part * 64 + d8);
    uint4 raw = *p;
    __half2* h2 = reinterpret_cast<__half2*>(&raw);
#pragma unroll
    for (int e = 0; e < 4; ++e) {
      const int d = part * 64 + d8 + 2 * e;
      const float2 g = __half22float2(h2[e]);
      const float y0 = ((tv[d8 + 2 * e] - mean) * rstd * __ldg(ln_w + d) + __ldg(ln_b + d)) * g.x;
      const float y1 = ((tv[d8 + 2 * e + 1] - mean) * rstd * __ldg(ln_w + d + 1) + __ldg(ln_b + d + 1)) * g.y;
      h2[e] = __floats2half2_rn(y0, y1);
    }
    *p = raw;
  }

  for (int nc = 0; nc < C / NCH; ++nc) {
    cp_async_wait<0>();
    __syncthreads();  // y complete (nc = 0); chunk nc landed; buffer (nc+1)&1 no longer read
    if ((nc + 1) * NCH < C) load_wo(nc + 1);
    cp_async_commit();
    const __half* sB = sWo + (nc & 1) * NCH * LD;
    float acc[2][4][4];
#pragma unroll
    for (int mi = 0; mi < 2; ++mi)
#pragma unroll
      for (int ni = 0; ni < 4; ++ni)
#pragma unroll
        for (int e = 0; e < 4; ++e) acc[mi][ni][e] = 0.f;
#pragma unroll
    for (int kk = 0; kk < H; kk += 16) {
      unsigned a[2][4], bf[2][4];
#pragma unroll
      for (int mi = 0; mi < 2; ++mi) load_a(a[mi], sY + (wm * 32 + mi * 16) * LD + kk, LD, lane);
#pragma unroll
      for (int nj = 0; nj < 2; ++nj) load_b2(bf[nj], sB + (wn * 32 + nj * 16) * LD + kk, LD, lane);
#pragma unroll
      for (int mi = 0; mi < 2; ++mi)
#pragma unroll
        for (int ni = 0; ni < 4; ++ni) mma16816(acc[mi][ni], a[mi], bf[ni >> 1][(ni & 1) * 2], bf[ni >> 1][(ni & 1) * 2 + 1]);
    }
#pragma unroll
    for (int mi = 0; mi < 2; ++mi)
#pragma unroll
      for (int ni = 0; ni < 4; ++ni)
#pragma unroll
        for (int h = 0; h < 2; ++h) {
          const int r = wm * 32 + mi * 16 + (lane >> 2) + h * 8;
          const int n = nc * NCH + wn * 32 + ni * 8 + (lane & 3) * 2;
          if (j0 + r < N)
            __stcs(reinterpret_cast<float2*>(out + (tok0 + r) * C + n), make_float2(acc[mi][ni][2 * h], acc[mi][ni][2 * h + 1]));
        }
  }
}
