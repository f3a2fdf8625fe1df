// Row softmax, output[r, :] = softmax(x[r, :]) for x float32 [batch_size, dim], row-major.
//
// row_softmax_regs: one block per row; thread t holds the float4s t, t + blockDim.x, ... of its
// row (kVec4PerThread of them) in registers, so x is read from global memory exactly once and
// output written exactly once. Block-wide max, then block-wide sum of expf(x - max), each a warp
// shuffle tree followed by one pass through shared memory (one __syncthreads per reduction).
// Needs dim % 4 == 0 and dim / 4 <= kVec4PerThread * blockDim.x; blockDim.x a multiple of 32.
//
// row_softmax_general: any dim, one block per row, scalar loads. Pass 1 keeps a per-thread online
// (max, sum) pair, merged across the block; pass 2 re-reads the row and writes expf(x - max) / sum.

namespace {

constexpr int kVec4PerThread = 4;
constexpr unsigned kFullMask = 0xffffffffu;

__device__ __forceinline__ float neg_inf() { return __int_as_float(0xff800000); }

__device__ __forceinline__ float warp_max(float v) {
#pragma unroll
  for (int offset = 16; offset > 0; offset >>= 1) v = fmaxf(v, __shfl_xor_sync(kFullMask, v, offset));
  return v;
}

__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
  for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(kFullMask, v, offset);
  return v;
}

// Block-wide reductions; every thread gets the result. `scratch` holds >= 32 floats and is used
// by this one call only (each reduction in a kernel has its own array, so one barrier suffices).
__device__ __forceinline__ float block_max(float v, float* scratch) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  v = warp_max(v);
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  return warp_max(lane < warps ? scratch[lane] : neg_inf());
}

__device__ __forceinline__ float block_sum(float v, float* scratch) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  v = warp_sum(v);
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  return warp_sum(lane < warps ? scratch[lane] : 0.f);
}

// Merges the softmax partial (m2, s2) into (m, s): s is a sum of expf(x - m).
__device__ __forceinline__ void online_merge(float& m, float& s, float m2, float s2) {
  const float m_new = fmaxf(m, m2);
  if (m_new == neg_inf()) {  // both parts empty or all -inf: their sums are 0 (or NaN)
    s += s2;
    return;
  }
  s = s * expf(m - m_new) + s2 * expf(m2 - m_new);
  m = m_new;
}

__device__ __forceinline__ float max4(float4 v) { return fmaxf(fmaxf(v.x, v.y), fmaxf(v.z, v.w)); }

}  // namespace

extern "C" __global__ void __launch_bounds__(1024)
row_softmax_regs(const float* __restrict__ x, float* __restrict__ output, int batch_size, int dim) {
  __shared__ float red_max[32];
  __shared__ float red_sum[32];
  const int row = blockIdx.x;
  if (row >= batch_size) return;  // whole block leaves together
  const int n4 = dim >> 2;
  const float4* src = reinterpret_cast<const float4*>(x + static_cast<long long>(row) * dim);
  float4* dst = reinterpret_cast<float4*>(output + static_cast<long long>(row) * dim);

  // All loads first (independent, kVec4PerThread 16-byte loads in flight per thread). x is read
  // once, so the loads are streaming (evict-first).
  float4 v[kVec4PerThread];
#pragma unroll
  for (int i = 0; i < kVec4PerThread; ++i) {
    const int j = i * blockDim.x + threadIdx.x;
    v[i] = j < n4 ? __ldcs(src + j) : make_float4(neg_inf(), neg_inf(), neg_inf(), neg_inf());
  }
  float m = neg_inf();
#pragma unroll
  for (int i = 0; i < kVec4PerThread; ++i) m = fmaxf(m, max4(v[i]));
  m = block_max(m, red_max);

  float s = 0.f;
#pragma unroll
  for (int i = 0; i < kVec4PerThread; ++i) {
    const int j = i * blockDim.x + threadIdx.x;
    if (j < n4) {
      v[i].x = expf(v[i].x - m);
      v[i].y = expf(v[i].y - m);
      v[i].z = expf(v[i].z - m);
      v[i].w = expf(v[i].w - m);
      s += (v[i].x + v[i].y) + (v[i].z + v[i].w);
    }
  }
  s = block_sum(s, red_sum);
  const float inv = 1.f / s;

#pragma unroll
  for (int i = 0; i < kVec4PerThread; ++i) {
    const int j = i * blockDim.x + threadIdx.x;
    if (j < n4) __stcs(dst + j, make_float4(v[i].x * inv, v[i].y * inv, v[i].z * inv, v[i].w * inv));
  }
}

extern "C" __global__ void __launch_bounds__(512)
row_softmax_general(const float* __restrict__ x, float* __restrict__ output, int batch_size, int dim) {
  __shared__ float red_m[32];
  __shared__ float red_s[32];
  const int row = blockIdx.x;
  if (row >= batch_size) return;
  const float* src = x + static_cast<long long>(row) * dim;
  float* dst = output + static_cast<long long>(row) * dim;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;

  // Pass 1: per-thread online max and sum.
  float m = neg_inf(), s = 0.f;
  for (int j = threadIdx.x; j < dim; j += blockDim.x) {
    const float v = src[j];
    if (v > m) {
      s = s * expf(m - v) + 1.f;
      m = v;
    } else {
      s += v == neg_inf() ? 0.f : expf(v - m);  // a NaN v lands here and makes the row NaN, as in PyTorch
    }
  }
  // Merge the (m, s) pairs: warp shuffles, then through shared memory.
#pragma unroll
  for (int offset = 16; offset > 0; offset >>= 1) {
    const float m2 = __shfl_xor_sync(kFullMask, m, offset);
    const float s2 = __shfl_xor_sync(kFullMask, s, offset);
    online_merge(m, s, m2, s2);
  }
  if (lane == 0) {
    red_m[warp] = m;
    red_s[warp] = s;
  }
  __syncthreads();
  m = lane < warps ? red_m[lane] : neg_inf();
  s = lane < warps ? red_s[lane] : 0.f;
#pragma unroll
  for (int offset = 16; offset > 0; offset >>= 1) {
    const float m2 = __shfl_xor_sync(kFullMask, m, offset);
    const float s2 = __shfl_xor_sync(kFullMask, s, offset);
    online_merge(m, s, m2, s2);
  }
  const float inv = 1.f / s;

  // Pass 2: write.
  for (int j = threadIdx.x; j < dim; j += blockDim.x) dst[j] = expf(src[j] - m) * inv;
}
