using DpsTorch.IO;
using DpsTorch.Optim;
using static DpsTorch.Tests.Optim.TestProblems;

namespace DpsTorch.Tests.IO;

public sealed class ParameterStateTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dpstorch-state-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    [Fact]
    public void SaveLoad_RoundTrips_ParametersAndAdamMoments_BitExact()
    {
        var mu = Tensor.FromArray([0.1, 1.0 / 3.0, -0.0, 5e-324, 1.7976931348623157e308, Math.PI], 2, 3).RequiresGrad_();
        var sigma = Tensor.FromArray([Math.E]).RequiresGrad_();
        var opt = new Adam([mu, sigma]);
        for (int i = 0; i < 3; i++) TrainStep(opt, () => (mu * 1e-300).Sum() + sigma.Pow(2).Sum());
        var state = opt.GetState();
        string path = PathOf("state.json");
        ParameterState.Save(path, [("mu", mu), ("sigma", sigma)], state, new Dictionary<string, string> { ["seed"] = "42" });

        var file = ParameterState.Load(path);
        Assert.Equal(["mu", "sigma"], file.Parameters.Select(p => p.Name));
        Assert.Equal([2, 3], file.Parameters[0].Shape);
        AssertBitExact(mu.ToArray(), file.Parameters[0].Values);
        AssertBitExact(sigma.ToArray(), file.Parameters[1].Values);
        Assert.Equal("42", file.Metadata["seed"]);
        var loaded = file.Optimizer!;
        Assert.Equal("adam", loaded.Kind);
        Assert.Equal(3, loaded.StepCount);
        Assert.Equal(state.HyperParameters, loaded.HyperParameters);
        for (int i = 0; i < 2; i++)
            foreach (var name in new[] { "exp_avg", "exp_avg_sq" })
                AssertBitExact(state.ParameterBuffers[i][name], loaded.ParameterBuffers[i][name]);
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp")); // the temporary file was moved, not left behind
    }

    [Fact]
    public void Adam_ResumedFromFile_TakesBitIdenticalSteps_ToUninterruptedRun()
    {
        var a = Tensor.FromArray(A);
        var y = Y();
        var x = Tensor.FromArray([0.3, -0.2, 0.1]).RequiresGrad_();
        var opt = new Adam([x], lr: 0.05, weightDecay: 1e-3);
        for (int i = 0; i < 5; i++) TrainStep(opt, () => LeastSquares(x, a, y));
        string path = PathOf("resume.json");
        ParameterState.Save(path, [("x", x)], opt.GetState());
        for (int i = 0; i < 5; i++) TrainStep(opt, () => LeastSquares(x, a, y));

        var x2 = Tensor.Zeros(3).RequiresGrad_();
        var opt2 = new Adam([x2]);
        var file = ParameterState.LoadInto(path, [("x", x2)]);
        opt2.LoadState(file.Optimizer!);
        for (int i = 0; i < 5; i++) TrainStep(opt2, () => LeastSquares(x2, a, y));
        AssertBitExact(x.ToArray(), x2.ToArray());
        AssertBitExact(opt.GetState().ParameterBuffers[0]["exp_avg_sq"], opt2.GetState().ParameterBuffers[0]["exp_avg_sq"]);
    }

    [Fact]
    public void Lbfgs_State_SurvivesTheFile()
    {
        var x = Tensor.FromArray([-1.2]).RequiresGrad_();
        var y = Tensor.FromArray([1.0]).RequiresGrad_();
        var opt = new Lbfgs([x, y], maxIter: 4);
        opt.Step(Closure(opt, () => Rosenbrock(x, y)));
        string path = PathOf("lbfgs.json");
        ParameterState.Save(path, [("x", x), ("y", y)], opt.GetState());
        var loaded = ParameterState.Load(path).Optimizer!;
        foreach (var (name, values) in opt.GetState().GlobalBuffers) AssertBitExact(values, loaded.GlobalBuffers[name]);
        new Lbfgs([x, y]).LoadState(loaded);
    }

    [Fact]
    public void Save_Overwrites_AnExistingFile()
    {
        string path = PathOf("over.json");
        ParameterState.Save(path, [("p", Tensor.FromArray([1.0]))]);
        ParameterState.Save(path, [("p", Tensor.FromArray([2.0]))]);
        Assert.Equal([2.0], ParameterState.Load(path).Parameters[0].Values);
    }

    [Fact]
    public void Save_RejectsNaN_NamingTheParameter_AndLeavesNoFile()
    {
        string path = PathOf("nan.json");
        var ex = Assert.Throws<ArgumentException>(() =>
            ParameterState.Save(path, [("ok", Tensor.FromArray([1.0])), ("rho", Tensor.FromArray([0.0, double.NaN]))]));
        Assert.Contains("'rho'", ex.Message);
        Assert.Contains("element 1", ex.Message);
        Assert.Empty(Directory.GetFiles(_dir));
        ex = Assert.Throws<ArgumentException>(() => ParameterState.Save(path, [("p", Tensor.FromArray([1.0])), ("p", Tensor.FromArray([2.0]))]));
        Assert.Contains("'p' appears more than once", ex.Message);
    }

    [Fact]
    public void Load_MissingFile_NamesThePath()
    {
        string path = PathOf("absent.json");
        var ex = Assert.Throws<FileNotFoundException>(() => ParameterState.Load(path));
        Assert.Contains(path, ex.Message);
    }

    [Fact]
    public void Load_ValuesLengthNotMatchingShape_NamesTheField()
    {
        var ex = LoadError(Header + """[{ "name": "mu", "shape": [2, 2], "values": [1, 2, 3] }] }""");
        Assert.Contains("parameters[0] ('mu').values", ex.Message);
        Assert.Contains("3 values but the shape has 4 elements", ex.Message);
    }

    [Fact]
    public void Load_HostileShape_IsRefusedBeforeAllocating_NamingTheField()
    {
        var ex = LoadError(Header + """[{ "name": "big", "shape": [100000, 100000], "values": [1] }] }""");
        Assert.Contains("parameters[0] ('big').shape", ex.Message);
        Assert.Contains("more elements than", ex.Message);
        ex = LoadError(Header + """[{ "name": "neg", "shape": [-1], "values": [] }] }""");
        Assert.Contains("parameters[0] ('neg').shape[0]", ex.Message);
    }

    [Fact]
    public void Load_NonFiniteValue_NamesTheElement()
    {
        var ex = LoadError(Header + """[{ "name": "mu", "shape": [3], "values": [1, "NaN", 2] }] }""");
        Assert.Contains("parameters[0] ('mu').values[1]", ex.Message);
        Assert.Contains("not a finite number", ex.Message);
        ex = LoadError(Header + """[{ "name": "mu", "shape": [2], "values": [1, 1e999] }] }""");
        Assert.Contains("parameters[0] ('mu').values[1]", ex.Message);
    }

    [Fact]
    public void Load_TruncatedJson_SaysWhereItBroke()
    {
        string path = PathOf("full.json");
        ParameterState.Save(path, [("mu", Tensor.FromArray([1.0, 2.0, 3.0]))]);
        var text = File.ReadAllText(path);
        var ex = LoadError(text[..(text.Length / 2)]);
        Assert.Contains("not valid JSON", ex.Message);
        Assert.Contains("line", ex.Message);
    }

    [Fact]
    public void Load_WrongFormatOrVersion_NamesTheField()
    {
        var ex = LoadError("""{ "format": "something-else", "version": 1, "parameters": [] }""");
        Assert.Contains("format", ex.Message);
        ex = LoadError("""{ "format": "dpstorch.parameter-state", "version": 7, "parameters": [] }""");
        Assert.Contains("version", ex.Message);
        ex = LoadError("""{ "format": "dpstorch.parameter-state", "version": 1 }""");
        Assert.Contains("parameters is missing", ex.Message);
        ex = LoadError(Header + """[{ "name": "a", "shape": [1], "values": [1] }, { "name": "a", "shape": [1], "values": [2] }] }""");
        Assert.Contains("parameters[1].name", ex.Message);
    }

    [Fact]
    public void LoadInto_ShapeMismatch_NamesTheParameter_AndWritesNothing()
    {
        string path = PathOf("shape.json");
        ParameterState.Save(path, [("a", Tensor.FromArray([1.0])), ("b", Tensor.FromArray([1.0, 2.0]))]);
        var a = Tensor.FromArray([9.0]);
        var b = Tensor.FromArray([9.0, 9.0, 9.0]);
        var ex = Assert.Throws<InvalidDataException>(() => ParameterState.LoadInto(path, [("a", a), ("b", b)]));
        Assert.Contains("'b'", ex.Message);
        Assert.Contains("[2]", ex.Message);
        Assert.Equal([9.0], a.Data);
    }

    private const string Header = """{ "format": "dpstorch.parameter-state", "version": 1, "metadata": {}, "parameters": """;

    private InvalidDataException LoadError(string json)
    {
        string path = PathOf($"bad-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json);
        var ex = Assert.Throws<InvalidDataException>(() => ParameterState.Load(path));
        Assert.Contains(path, ex.Message);
        return ex;
    }

    private static void AssertBitExact(double[] expected, double[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(BitConverter.DoubleToInt64Bits(expected[i]) == BitConverter.DoubleToInt64Bits(actual[i]),
                $"element {i}: expected {expected[i]:R}, got {actual[i]:R}");
    }
}
