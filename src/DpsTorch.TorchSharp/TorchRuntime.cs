// Whether libtorch can be used in this process, and if not, one line saying what is missing; and the device a
// config names ("cpu", "cuda", "cuda:N"), refused in one line where this libtorch has no CUDA.
using static TorchSharp.torch;

namespace DpsTorch.TorchSharp;

/// <summary>Loading and device checks for the TorchSharp backend.</summary>
public static class TorchRuntime
{
    private static readonly Lazy<string?> Problem = new(Probe);

    /// <summary>Null when libtorch loads; else a one-line reason naming what is missing.</summary>
    public static string? Unavailable => Problem.Value;

    /// <summary>Whether libtorch loaded.</summary>
    public static bool IsAvailable => Unavailable is null;

    /// <summary>Throws <see cref="InvalidOperationException"/> with <see cref="Unavailable"/> when libtorch cannot load.</summary>
    public static void EnsureAvailable()
    {
        if (Unavailable is { } why) throw new InvalidOperationException(why);
    }

    /// <summary>
    /// The device named by <paramref name="name"/> ("cpu", "cuda", "cuda:N"). CUDA where libtorch has none, or an index
    /// beyond the devices present, is an <see cref="ArgumentException"/> in one line saying what to install or use.
    /// </summary>
    public static Device ParseDevice(string name)
    {
        EnsureAvailable();
        if (name == "cpu") return CPU;
        int index = 0;
        bool ok = name == "cuda" || (name.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(name.AsSpan(5), out index) && index >= 0);
        if (!ok) throw new ArgumentException($"training.device: \"{name}\" is not allowed; expected \"cpu\", \"cuda\" or \"cuda:N\".");
        if (!cuda.is_available())
            throw new ArgumentException($"training.device: \"{name}\" needs a CUDA build of libtorch and an NVIDIA GPU; this program has libtorch-cpu "
                + "(reference libtorch-cuda-12.8-linux-x64 instead of libtorch-cpu-linux-x64 in src/DpsTorch.TorchSharp and rebuild), or use \"cpu\".");
        int count = cuda.device_count();
        if (index >= count)
            throw new ArgumentException($"training.device: \"{name}\" is not allowed; this machine has {count} CUDA device(s), so use cuda:0 to cuda:{count - 1}.");
        return new Device(global::TorchSharp.DeviceType.CUDA, index);
    }

    private static string? Probe()
    {
        try
        {
            using var t = ones(1, dtype: ScalarType.Float64);
            return t.sum().item<double>() == 1.0 ? null : "TorchSharp: libtorch loaded but computed a wrong sum.";
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return Diagnose(e);
        }
    }

    /// <summary>A one-line reason for a failed load: the missing libstdc++ version when that is the cause.</summary>
    private static string Diagnose(Exception e)
    {
        string dir = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native");
        string lib = Path.Combine(dir, "libLibTorchSharp.so");
        if (OperatingSystem.IsLinux())
        {
            if (!File.Exists(lib) && !File.Exists(Path.Combine(AppContext.BaseDirectory, "libLibTorchSharp.so")))
                return $"TorchSharp cannot load: libLibTorchSharp.so is not next to the program ({dir}); the build must reference the TorchSharp and libtorch-cpu-linux-x64 packages (src/DpsTorch.TorchSharp does).";
            if (File.Exists(lib) && ElfVersionNeeds.RequiresStrongly(lib, "GLIBCXX_3.4.32") && !ElfVersionNeeds.SystemLibStdCxxHas("GLIBCXX_3.4.32"))
                return $"TorchSharp cannot load: {lib} needs GLIBCXX_3.4.32 and the system libstdc++ stops earlier (Debian 12); build with src/DpsTorch.TorchSharp/build/LibTorchSharpLoadFix.targets imported (it patches the copy), or use a distribution with GCC 13's libstdc++.";
        }
        var first = (e.InnerException ?? e).Message.Split('\n')[0].Trim();
        return $"TorchSharp cannot load libtorch: {first}";
    }
}
