using System.Text.RegularExpressions;
using static DpsTorch.Tests.TestUtil;

namespace DpsTorch.Tests.Ops;

/// <summary>copy_, fill_, zero_ and indexed writes: the no-grad in-place ops code outside the engine writes values with.</summary>
public class TensorInPlaceTests
{
    [Fact]
    public void Copy_FromValuesAndFromTensor_WritesInPlaceAndKeepsTheGradient()
    {
        var x = Tensor.Zeros(2, 2).RequiresGrad_();
        (x * 3.0).Sum().Backward();
        var storage = x.Storage;
        Assert.Same(x, x.Copy_([1.0, -2.0, 0.5, 4.0]));
        Assert.Equal([1.0, -2.0, 0.5, 4.0], x.ToArray());
        Assert.Same(storage, x.Storage);
        Assert.Equal([3.0, 3.0, 3.0, 3.0], x.Grad!.ToArray());
        Assert.True(x.IsLeaf && x.RequiresGrad);

        x.Copy_(Tensor.FromArray(new double[,] { { 7, 8 }, { 9, 10 } }));
        Assert.Equal([7.0, 8.0, 9.0, 10.0], x.ToArray());
        x.Copy_(x);
        Assert.Equal([7.0, 8.0, 9.0, 10.0], x.ToArray());
    }

    [Fact]
    public void Copy_RecordsNothing_EvenWithGradModeOn()
    {
        var x = Tensor.Ones(3).RequiresGrad_();
        var y = Tensor.FromArray([1.0, 2.0, 3.0]).RequiresGrad_();
        x.Copy_(y);
        Assert.True(x.IsLeaf);
        (x * x).Sum().Backward();
        Assert.Equal([2.0, 4.0, 6.0], x.Grad!.ToArray());
        Assert.Null(y.Grad);
    }

    [Fact]
    public void Fill_Zero_AndIndexedWrite_SetValues()
    {
        var x = Tensor.Ones(2, 3);
        Assert.Same(x, x.Fill_(2.5));
        Assert.Equal(Enumerable.Repeat(2.5, 6).ToArray(), x.ToArray());
        x[1, 2] = -1.0;
        Assert.Equal(-1.0, x.Data[5]);
        Assert.Same(x, x.Zero_());
        Assert.Equal(new double[6], x.ToArray());
    }

    [Fact]
    public void Copy_RejectsAShapeOrLengthMismatch_NamingBoth()
    {
        var x = Tensor.Zeros(2, 3);
        var e = Assert.Throws<ArgumentException>(() => x.Copy_(Tensor.Zeros(3, 2)));
        Assert.Contains("[3, 2]", e.Message);
        Assert.Contains("[2, 3]", e.Message);
        e = Assert.Throws<ArgumentException>(() => x.Copy_(new double[5]));
        Assert.Contains("got 5 values", e.Message);
        Assert.Contains("6 elements", e.Message);
    }

    [Fact]
    public void InPlaceWrites_IntoAnOpOutputInARecordedGraph_Throw()
    {
        var x = Tensor.Ones(3).RequiresGrad_();
        var y = x * 2.0;
        Assert.Contains("write in place only into leaves", Assert.Throws<InvalidOperationException>(() => y.Copy_(new double[3])).Message);
        Assert.Throws<InvalidOperationException>(() => y.Fill_(1.0));
        Assert.Throws<InvalidOperationException>(() => y.Zero_());
        Assert.Throws<InvalidOperationException>(() => y[0] = 1.0);
        using (TensorEngine.NoGrad())
        {
            var z = x * 2.0; // not recorded: a plain tensor that may be written
            z.Fill_(1.0);
            Assert.Equal([1.0, 1.0, 1.0], z.ToArray());
        }
    }

    /// <summary>Outside the engine (Tensors, Autograd, Ops, Optim) nothing touches the internal storage array.</summary>
    [Fact]
    public void OnlyTheEngine_UsesTheInternalStorage()
    {
        var src = Path.Combine(RepoRoot(), "src", "DpsTorch");
        string[] engine = ["Tensors", "Autograd", "Ops", "Optim"];
        var offenders = Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}")
                && !engine.Contains(Path.GetRelativePath(src, f).Split(Path.DirectorySeparatorChar)[0]))
            .Where(f => Regex.IsMatch(File.ReadAllText(f), @"\.Storage\b"))
            .Select(f => Path.GetRelativePath(src, f))
            .ToList();
        Assert.True(offenders.Count == 0, $"outside the engine, use Data/ToArray to read and Copy_/Fill_ to write: {string.Join(", ", offenders)}");
    }
}
