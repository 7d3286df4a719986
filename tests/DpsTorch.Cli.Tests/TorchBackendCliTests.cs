// dps run / sweep with training.backend "torchsharp" (issue 17): the same result as the managed backend, and the
// device errors in one line before the output folder is touched.
using System.Text.Json.Nodes;
using DpsTorch.TorchSharp;

namespace DpsTorch.Cli.Tests;

[Collection("cli")]
public sealed class TorchBackendCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dps-torch-cli-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Config()
    {
        string path = Path.Combine(_dir, "tiny.json");
        File.WriteAllText(path, """
            { "space": { "m": 32 }, "agents": { "count": 6 }, "demand": { "kind": "peaks", "peaks": 2 },
              "topology": { "kind": "ring", "k": 1, "learned": true },
              "training": { "steps": 30, "restarts": 1, "polish": 0 },
              "measures": { "fractions": [0, 0.5, 1], "seeds": 1, "resilienceSteps": 0, "maxRadius": 2 } }
            """);
        return path;
    }

    private static double Loss(string dir) => (double)JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")))!["loss"]!;

    [SkippableFact]
    public void RunOnTheTorchBackendEndsAtTheManagedLoss()
    {
        Skip.IfNot(TorchRuntime.IsAvailable, TorchRuntime.Unavailable);
        string config = Config();
        string a = Path.Combine(_dir, "managed"), b = Path.Combine(_dir, "torch");
        Assert.Equal(0, CliHarness.Invoke("run", config, "--out", a).Code);
        var r = CliHarness.Invoke("run", config, "--out", b, "--set", "training.backend=torchsharp", "--set", "training.device=cpu");
        Assert.True(r.Code == 0, r.Error);
        Assert.Equal(Loss(a), Loss(b), 1e-8 * Loss(a));
    }

    [SkippableFact]
    public void CudaWithoutCudaIsOneLineAndLeavesNoFolder()
    {
        Skip.IfNot(TorchRuntime.IsAvailable, TorchRuntime.Unavailable);
        Skip.If(global::TorchSharp.torch.cuda.is_available(), "this machine has CUDA");
        string dir = Path.Combine(_dir, "cuda");
        var r = CliHarness.Invoke("run", Config(), "--out", dir, "--set", "training.backend=torchsharp", "--set", "training.device=cuda:1");
        Assert.Equal(2, r.Code);
        Assert.Single(r.ErrorLines);
        Assert.Contains("training.device", r.Error);
        Assert.Contains("libtorch-cuda", r.Error);
        Assert.False(Directory.Exists(dir));
    }

    [Fact]
    public void CudaOnTheManagedBackendAndUnknownBackendsAreRefused()
    {
        var r = CliHarness.Invoke("run", Config(), "--out", Path.Combine(_dir, "x"), "--set", "training.device=cuda");
        Assert.Equal(2, r.Code);
        Assert.Contains("training.device", r.Error);
        r = CliHarness.Invoke("run", Config(), "--out", Path.Combine(_dir, "y"), "--set", "training.backend=jax");
        Assert.Equal(2, r.Code);
        Assert.Contains("training.backend", r.Error);
        r = CliHarness.Invoke("run", Config(), "--out", Path.Combine(_dir, "z"), "--set", "training.device=cuda:x");
        Assert.Equal(2, r.Code);
    }
}
