namespace DpsTorch.TorchSharp.Tests;

/// <summary>The Debian 12 loading fix (src/DpsTorch.TorchSharp/build/LibTorchSharpLoadFix.targets) as the build left it.</summary>
public class LoadFixTests
{
    private const string Version = "GLIBCXX_3.4.32";
    private static string OutputCopy => Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");

    private static string? PackageCopy()
    {
        string root = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        string path = Path.Combine(root, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        return File.Exists(path) ? path : null;
    }

    [SkippableFact]
    public void TheOutputCopyNeedsTheNewLibStdCxxOnlyWhereTheSystemHasIt()
    {
        Skip.IfNot(OperatingSystem.IsLinux() && File.Exists(OutputCopy), "linux-x64 only: no libLibTorchSharp.so in the test output");
        bool systemHas = ElfVersionNeeds.SystemLibStdCxxHas(Version);
        var flags = ElfVersionNeeds.Flags(OutputCopy, Version);
        if (systemHas) Assert.Equal(PackageCopy() is { } p ? File.ReadAllBytes(p) : File.ReadAllBytes(OutputCopy), File.ReadAllBytes(OutputCopy));
        else
        {
            Assert.NotNull(flags);
            Assert.False(ElfVersionNeeds.RequiresStrongly(OutputCopy, Version), "the build step did not mark GLIBCXX_3.4.32 weak");
        }
    }

    [SkippableFact]
    public void ThePackageCacheIsLeftAsItWasAndDiffersByOneFlag()
    {
        var original = PackageCopy();
        Skip.If(original is null || !File.Exists(OutputCopy), "the TorchSharp 0.107.0 package is not in the NuGet cache");
        Skip.If(ElfVersionNeeds.SystemLibStdCxxHas(Version), "this system's libstdc++ has GLIBCXX_3.4.32: nothing is patched");
        Assert.True(ElfVersionNeeds.RequiresStrongly(original!, Version), "the package's own copy was changed");
        var a = File.ReadAllBytes(original!);
        var b = File.ReadAllBytes(OutputCopy);
        Assert.Equal(a.Length, b.Length);
        var differing = Enumerable.Range(0, a.Length).Where(i => a[i] != b[i]).ToArray();
        Assert.Single(differing);
        Assert.Equal(ElfVersionNeeds.WeakFlag, (byte)(a[differing[0]] ^ b[differing[0]]));
    }

    [SkippableFact]
    public void LibTorchLoadsOrTheReasonIsOneLine()
    {
        if (TorchRuntime.Unavailable is { } why)
        {
            Assert.DoesNotContain('\n', why);
            Skip.If(true, why);
        }
        Assert.True(TorchRuntime.IsAvailable);
    }
}
