// Which vector width the engine computes with, and what that means for reproducibility. Every kernel (TensorPrimitives
// and MatMulKernel) picks the widest vectors the runtime accelerates, and a wider vector adds a sum's terms in a
// different order, so the last bits of a result depend on the path. Within one path nothing else does: results are
// bitwise identical for any thread count, any memory placement and any resume point.
using System.Runtime.Intrinsics;

namespace DpsTorch.Tensors;

/// <summary>The SIMD path in use and the reproducibility the engine promises across paths.</summary>
public static class Simd
{
    /// <summary>The paths, widest first: 512-bit (AVX-512), 256-bit (AVX2), 128-bit (SSE or Arm NEON), none.</summary>
    public static readonly IReadOnlyList<string> Paths = ["avx512", "avx2", "vector128", "scalar"];

    /// <summary>
    /// The path this process computes with: "avx512", "avx2", "vector128" or "scalar". Set by the CPU and the runtime's
    /// switches: <c>DOTNET_EnableAVX512=0</c> gives "avx2" on an AVX-512 machine, <c>DOTNET_EnableAVX2=0</c> gives
    /// "vector128", <c>DOTNET_EnableHWIntrinsic=0</c> gives "scalar".
    /// </summary>
    public static string Path { get; } =
        Vector512.IsHardwareAccelerated ? "avx512"
        : Vector256.IsHardwareAccelerated ? "avx2"
        : Vector128.IsHardwareAccelerated ? "vector128"
        : "scalar";

    /// <summary>
    /// Relative difference within which the measures of one saved state, recomputed on two different paths, agree:
    /// |a − b| ≤ tolerance · max(1, |a|). Measured on models/ (AVX-512 against AVX2, 128-bit and scalar): at most
    /// 3.8e-10, in resilience (which retrains the damaged system, so rounding differences grow); at most 6e-16 in
    /// every other measure. On one path the same recomputation is bitwise identical.
    /// </summary>
    public const double CrossPathTolerance = 1e-9;
}
