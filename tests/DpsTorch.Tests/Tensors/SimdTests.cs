// The SIMD path the engine reports, and that the runtime switches .ci/run and the README name really select it.
// The test's display name carries the path ("path: \"avx2\""), so a test log shows which path a suite ran on.
using System.Runtime.Intrinsics;
using DpsTorch.Tensors;

namespace DpsTorch.Tests.Tensors;

public class SimdTests
{
    public static TheoryData<string> CurrentPath => new() { Simd.Path };

    [Theory, MemberData(nameof(CurrentPath))]
    public void Path_IsTheWidestAcceleratedVectorWidth(string path)
    {
        Assert.Contains(path, Simd.Paths);
        string widest = Vector512.IsHardwareAccelerated ? "avx512"
            : Vector256.IsHardwareAccelerated ? "avx2"
            : Vector128.IsHardwareAccelerated ? "vector128" : "scalar";
        Assert.Equal(widest, path);
    }

    [Fact]
    public void RuntimeSwitches_SelectANarrowerPath()
    {
        int rank = Simd.Paths.ToList().IndexOf(Simd.Path); // 0 = widest
        if (Environment.GetEnvironmentVariable("DOTNET_EnableAVX512") == "0") Assert.True(rank >= 1, $"DOTNET_EnableAVX512=0 but the path is {Simd.Path}");
        if (Environment.GetEnvironmentVariable("DOTNET_EnableAVX2") == "0") Assert.True(rank >= 2, $"DOTNET_EnableAVX2=0 but the path is {Simd.Path}");
        if (Environment.GetEnvironmentVariable("DOTNET_EnableHWIntrinsic") == "0") Assert.Equal("scalar", Simd.Path);
    }
}
