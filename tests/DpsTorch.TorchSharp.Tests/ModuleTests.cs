using DpsTorch.IO;
using DpsTorch.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace DpsTorch.TorchSharp.Tests;

/// <summary>Building, saving, moving and embedding the torch module.</summary>
public sealed class ModuleTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dps-torch-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [SkippableFact]
    public void FromConfigStartsAtTheEngineInitialState()
    {
        Skip.IfNot(TorchRuntime.IsAvailable, TorchRuntime.Unavailable);
        var config = Cases.Config("system", "squared", "direct", "ring", true, "budget");
        using var module = DpsModule.FromConfig(config, restart: 1);
        var engine = SystemBuilder.Create(config, 1);
        for (int k = 0; k < engine.Parameters().Count; k++)
            Assert.Equal(engine.Parameters()[k].ToArray(), Interop.Values(module.TrainableParameters()[k]));
        Assert.Equal(engine.Loss().Total.Item(), module.Loss().Total.item<double>(), 1e-10 * engine.Loss().Total.Item());
    }

    [SkippableFact]
    public void ModelJsonWrittenByTorchIsReadByTheEngineAndBack()
    {
        Skip.IfNot(TorchRuntime.IsAvailable, TorchRuntime.Unavailable);
        var config = Cases.Config("local", "both", "power", "random", true, "soft");
        using var module = new DpsModule(Cases.Model(config), config);
        string path = Path.Combine(_dir, "model.json");
        module.SaveModelJson(path);

        var engine = ModelState.Load(path).ToModel();
        double expected;
        using (no_grad()) expected = module.Loss().Total.item<double>();
        Assert.Equal(expected, engine.Evaluate(null, backward: false).Total, 1e-10 * expected);
        using var again = DpsModule.FromModelFile(path);
        Assert.Equal(module.ParameterValues(), again.ParameterValues());
    }

    [SkippableFact]
    public void StateDictRoundTripsAndRefusesAnotherStructure()
    {
        Skip.IfNot(TorchRuntime.IsAvailable, TorchRuntime.Unavailable);
        var config = Cases.Config("system", "squared", "direct", "complete", true, "budget");
        using var module = new DpsModule(Cases.Model(config, seed: 1), config);
        string path = Path.Combine(_dir, "state.dat");
        module.SaveStateDict(path);
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));
        var keys = module.state_dict().Keys.ToArray();
        Assert.Contains("mu", keys);
        Assert.Contains("q.theta", keys);

        using var other = new DpsModule(Cases.Model(config, seed: 2), config);
        Assert.NotEqual(module.ParameterValues()[0], other.ParameterValues()[0]);
        other.LoadStateDict(path);
        Assert.Equal(module.ParameterValues(), other.ParameterValues());

        using var smaller = new DpsModule(Cases.Model(Cases.Config("system", "squared", "direct", "complete", true, "budget", n: 8)));
        Assert.ThrowsAny<Exception>(() => smaller.LoadStateDict(path));
        Assert.Throws<FileNotFoundException>(() => other.LoadStateDict(Path.Combine(_dir, "missing.dat")));
    }

    [SkippableFact]
    public void ToDeviceKeepsTheLossAndCudaWithoutCudaIsAOneLineError()
    {
        Skip.IfNot(TorchRuntime.IsAvailable, TorchRuntime.Unavailable);
        var config = Cases.Config("system", "squared", "communicability", "ring", true, "budget");
        using var module = new DpsModule(Cases.Model(config), config);
        double before = module.Loss().Total.item<double>();
        module.to(TorchRuntime.ParseDevice("cpu"));
        Assert.Equal(before, module.Loss().Total.item<double>());
        if (!cuda.is_available())
        {
            var e = Assert.Throws<ArgumentException>(() => TorchRuntime.ParseDevice("cuda:0"));
            Assert.DoesNotContain('\n', e.Message);
            Assert.Contains("libtorch-cuda", e.Message);
        }
        Assert.Throws<ArgumentException>(() => TorchRuntime.ParseDevice("gpu"));
    }

    /// <summary>A larger graph: a linear layer maps a context vector to the agents' μ, ρ, α; the DPS loss trains it.</summary>
    [SkippableFact]
    public void TheLossTrainsANetworkThatEmitsTheAgentParameters()
    {
        Skip.IfNot(TorchRuntime.IsAvailable, TorchRuntime.Unavailable);
        var config = Cases.Config("system", "squared", "direct", "none", false, "budget");
        using var module = new DpsModule(Cases.Model(config), config);
        int n = module.N;
        var net = nn.Linear(4, 3 * n, dtype: ScalarType.Float64);
        var context = ones(1, 4, dtype: ScalarType.Float64);
        var opt = optim.Adam(net.parameters(), lr: 0.01);
        double first = 0, last = 0;
        for (int step = 0; step < 40; step++)
        {
            using var scope = NewDisposeScope();
            opt.zero_grad();
            var out3 = net.forward(context).view(3, n);
            var loss = module.LossOf(out3[0] * 3.0, out3[1], out3[2]).Total;
            loss.backward();
            opt.step();
            if (step == 0) first = loss.item<double>();
            last = loss.item<double>();
        }
        Assert.True(last < first, $"the emitting network did not learn: {first} -> {last}");
        Assert.Null(module.Mu.grad);
    }

    [SkippableFact]
    public void EveryBoundaryRefusesAnythingButFloat64()
    {
        Skip.IfNot(TorchRuntime.IsAvailable, TorchRuntime.Unavailable);
        var config = Cases.Config("system", "squared", "direct", "none", false, "budget");
        using var module = new DpsModule(Cases.Model(config), config);
        var f32 = ones(module.N, dtype: ScalarType.Float32);
        var e = Assert.Throws<ArgumentException>(() => module.LossOf(f32, module.Rho, module.Alpha));
        Assert.Contains("mu: dtype Float32", e.Message);
        Assert.Throws<ArgumentException>(() => Interop.ToEngine(ones(3, dtype: ScalarType.Int64)));
        Assert.Throws<ArgumentException>(() => Interop.ToEngine(ones(3, dtype: ScalarType.Byte)));
        Assert.Throws<ArgumentException>(() => module.LossOf(ones(module.N + 1, dtype: ScalarType.Float64), module.Rho, module.Alpha));
        var engine = DpsTorch.Tensor.FromArray([1.0, 2, 3, 4, 5, 6], 2, 3);
        var t = Interop.ToTorch(engine);
        Assert.Equal(ScalarType.Float64, t.dtype);
        Assert.Equal(new long[] { 2, 3 }, t.shape);
        var back = Interop.ToEngine(t);
        Assert.Equal(engine.ToArray(), back.ToArray());
        Assert.Equal(engine.Shape, back.Shape);
    }
}
