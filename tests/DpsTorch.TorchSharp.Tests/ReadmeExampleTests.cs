using DpsTorch.Config;
using DpsTorch.IO;
using static TorchSharp.torch;

namespace DpsTorch.TorchSharp.Tests;

/// <summary>The README's C# example, as written there (shorter run, temporary folder), does what it says.</summary>
public sealed class ReadmeExampleTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dps-readme-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Repo()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "DpsTorch.sln"))) return d.FullName;
        throw new DirectoryNotFoundException("repository root not found above the test output");
    }

    [SkippableFact]
    public void TheReadmeExampleTrainsWithTorchAdamAndSavesBothFormats()
    {
        Skip.IfNot(TorchRuntime.IsAvailable, TorchRuntime.Unavailable);
        var config = ConfigLoader.Load(Path.Combine(Repo(), "experiments/01-emergence/config.json"), ["space.m=64"]);
        using var module = DpsModule.FromConfig(config);
        double first;
        using (no_grad()) first = module.Loss().Total.item<double>();
        var adam = optim.Adam(module.TrainableParameters(), lr: 0.02);
        for (int step = 0; step < 60; step++)
        {
            using var scope = NewDisposeScope();
            adam.zero_grad();
            module.Loss().Total.backward();
            adam.step();
        }
        module.SaveModelJson(Path.Combine(_dir, "model.json"));
        module.SaveStateDict(Path.Combine(_dir, "state.dat"));
        var (heterogeneity, coverage, _) = DpsTorch.Measures.SystemMeasures.Quick(module.ToManaged());
        double last;
        using (no_grad()) last = module.Loss().Total.item<double>();
        Assert.True(last < first);
        Assert.True(heterogeneity >= 1 && coverage > 0);
        Assert.Equal(module.N, ModelState.Load(Path.Combine(_dir, "model.json")).N);
    }
}
