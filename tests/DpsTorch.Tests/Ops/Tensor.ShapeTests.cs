using static DpsTorch.Tests.TestUtil;

namespace DpsTorch.Tests.Ops;

public class TensorShapeTests
{
    /// <summary>Random weights of a shape, so that a gradient landing on the wrong element is caught.</summary>
    private static Tensor W(int seed, int[] shape) => Tensor.Rand(new Random(seed), shape, 0.5, 1.5);

    [Fact]
    public void Reshape_Flatten_Unsqueeze_Squeeze_Gradients_MatchFiniteDifferences()
    {
        var a = Param(31, [2, 3, 4]);
        AssertGradients(x => (x[0].Reshape(4, -1) * W(1, [4, 6])).Sum(), [a]);
        AssertGradients(x => (x[0].Flatten() * W(2, [24])).Sum(), [a]);
        AssertGradients(x => (x[0].Unsqueeze(1) * W(3, [2, 1, 3, 4])).Sum(), [a]);
        AssertGradients(x => (x[0].Unsqueeze(-1).Squeeze(-1) * W(4, [2, 3, 4])).Sum(), [a]);
        // a view op feeding two consumers: gradients from both paths add up
        AssertGradients(x => { var r = x[0].Reshape(6, 4); return (r * r * W(5, [6, 4])).Sum() + r.Sum(); }, [a]);
    }

    [Fact]
    public void Transpose_T_Permute_Gradients_MatchFiniteDifferences()
    {
        var a = Param(32, [2, 3, 4]);
        var m = Param(33, [3, 5]);
        AssertGradients(x => (x[0].Transpose(0, 2) * W(6, [4, 3, 2])).Sum(), [a]);
        AssertGradients(x => (x[0].Permute(1, 2, 0) * W(7, [3, 4, 2])).Sum(), [a]);
        AssertGradients(x => (x[0].T() * W(8, [5, 3])).Sum(), [m]);
    }

    [Fact]
    public void Slice_IndexSelect_Gradients_MatchFiniteDifferences()
    {
        var a = Param(34, [3, 5, 2]);
        AssertGradients(x => (x[0].Slice(1, 1, 4) * W(9, [3, 3, 2])).Sum(), [a]);
        AssertGradients(x => (x[0].Slice(-1, -1, 2) * W(10, [3, 5, 1])).Sum(), [a]);
        // repeated indices: the gradient scatter-adds
        AssertGradients(x => (x[0].IndexSelect(1, [4, 0, 4, 2]) * W(11, [3, 4, 2])).Sum(), [a]);
        AssertGradients(x => (x[0].IndexSelect(0, [2, 2]) * W(12, [2, 5, 2])).Sum(), [a]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void Gather_Gradient_MatchesFiniteDifferences_WithRepeatedIndices(int dim)
    {
        var a = Param(35, [3, 4, 2]);
        var ishape = new[] { 2, 3, 2 };
        ishape[dim] = 5; // longer than the input along dim: indices must repeat
        var rng = new Random(36 + dim);
        var iv = new double[Shapes.Numel(ishape)];
        for (int i = 0; i < iv.Length; i++) iv[i] = rng.Next(a.Size(dim));
        var index = Tensor.FromArray(iv, ishape);
        AssertGradients(x => (x[0].Gather(dim, index) * W(37, ishape)).Sum(), [a]);
    }

    [Fact]
    public void Gather_Values_FollowPyTorchSemantics()
    {
        // torch.gather(tensor([[1, 2], [3, 4]]), 1, tensor([[0, 0], [1, 0]])) = [[1, 1], [4, 3]]
        var t = Tensor.FromArray(new double[,] { { 1, 2 }, { 3, 4 } });
        AssertClose([1, 1, 4, 3], t.Gather(1, Tensor.FromArray([0, 0, 1, 0], 2, 2)).ToArray());
        // along dim 0 with a smaller index: out[i][j] = t[index[i][j]][j]
        AssertClose([3, 2], t.Gather(0, Tensor.FromArray([1, 0], 1, 2)).ToArray());
    }

    [Fact]
    public void Concat_Stack_Expand_Gradients_MatchFiniteDifferences()
    {
        var a = Param(38, [2, 3]);
        var b = Param(39, [2, 1]);
        var c = Param(40, [2, 3]);
        AssertGradients(x => (Tensor.Concat([x[0], x[1], x[2]], 1) * W(13, [2, 7])).Sum(), [a, b, c]);
        AssertGradients(x => (Tensor.Concat([x[0], x[1]], 0) * W(14, [4, 3])).Sum(), [a, c]);
        AssertGradients(x => (Tensor.Stack([x[0], x[1]], 1) * W(15, [2, 2, 3])).Sum(), [a, c]);
        AssertGradients(x => (x[0].Expand(4, 2, 3) * W(16, [4, 2, 3])).Sum(), [Param(46, [1, 3])]); // new leading dim and a size-1 dim
        AssertGradients(x => (x[0].Expand(-1, 5) * W(17, [2, 5])).Sum(), [b]);
    }

    [Fact]
    public void Concat_WithAConstantPart_GivesGradientOnlyToParameters()
    {
        var a = Param(41, [2, 2]);
        var k = Tensor.Ones(2, 3);
        var y = Tensor.Concat([k, a], 1);
        (y * W(18, [2, 5])).Sum().Backward();
        Assert.Null(k.Grad);
        AssertClose(W(18, [2, 5]).Slice(1, 3, 5).ToArray(), a.Grad!.ToArray());
    }

    [Fact]
    public void Transpose_Twice_IsIdentity_AndT_SwapsRowsAndColumns()
    {
        var a = Tensor.RandN(new Random(42), 2, 3, 4);
        Assert.Equal(new[] { 4, 3, 2 }, a.Transpose(0, -1).Shape);
        AssertClose(a.ToArray(), a.Transpose(0, 2).Transpose(0, 2).ToArray(), 0.0);
        AssertClose(a.ToArray(), a.Permute(2, 0, 1).Permute(1, 2, 0).ToArray(), 0.0);
        var m = Tensor.FromArray(new double[,] { { 1, 2, 3 }, { 4, 5, 6 } });
        AssertClose([1, 4, 2, 5, 3, 6], m.T().ToArray());
        Assert.Equal(new[] { 3, 2 }, m.T().Shape);
    }

    [Fact]
    public void Concat_ThenSlice_RecoversTheParts()
    {
        var a = Tensor.RandN(new Random(43), 3, 2);
        var b = Tensor.RandN(new Random(44), 3, 4);
        var c = Tensor.Concat([a, b], 1);
        Assert.Equal(new[] { 3, 6 }, c.Shape);
        AssertClose(a.ToArray(), c.Slice(1, 0, 2).ToArray(), 0.0);
        AssertClose(b.ToArray(), c.Slice(1, 2, 6).ToArray(), 0.0);
        AssertClose(b.ToArray(), c.Slice(1, -4, 6).ToArray(), 0.0);
    }

    [Fact]
    public void Stack_AddsADim_AndIndexSelectPicksRows()
    {
        var a = Tensor.FromArray([1.0, 2, 3]);
        var b = Tensor.FromArray([4.0, 5, 6]);
        var s0 = Tensor.Stack([a, b], 0);
        var s1 = Tensor.Stack([a, b], -1);
        Assert.Equal(new[] { 2, 3 }, s0.Shape);
        Assert.Equal(new[] { 3, 2 }, s1.Shape);
        AssertClose([1, 2, 3, 4, 5, 6], s0.ToArray());
        AssertClose([1, 4, 2, 5, 3, 6], s1.ToArray());
        AssertClose([4, 5, 6, 1, 2, 3, 4, 5, 6], s0.IndexSelect(0, [1, 0, 1]).ToArray());
    }

    [Fact]
    public void Reshape_InfersMinusOne_AndViewsShareNoGradientBuffer()
    {
        var a = Param(45, [2, 6]);
        Assert.Equal(new[] { 3, 4 }, a.Reshape(3, -1).Shape);
        Assert.Equal(new[] { 12 }, a.Flatten().Shape);
        Assert.Equal(new[] { 2, 1, 6 }, a.Unsqueeze(1).Shape);
        Assert.Equal(new[] { 2, 6 }, a.Squeeze(0).Shape); // size 2: unchanged, as in PyTorch
        Assert.Equal(new[] { 2, 6 }, a.Unsqueeze(0).Squeeze(0).Shape);
        AssertClose(a.ToArray(), a.Reshape(4, 3).ToArray(), 0.0);

        // the leaf's gradient is its own buffer: a second backward adds to it instead of writing through an alias
        var r = a.Reshape(12);
        r.Sum().Backward();
        var g = a.Grad!;
        a.Reshape(3, 4).Sum().Backward();
        AssertClose(Enumerable.Repeat(2.0, 12).ToArray(), a.Grad!.ToArray());
        Assert.Same(g.Storage, a.Grad!.Storage);
    }

    [Fact]
    public void Expand_Values_RepeatSizeOneDims()
    {
        var b = Tensor.FromArray([1.0, 2], 2, 1);
        AssertClose([1, 1, 1, 2, 2, 2], b.Expand(2, 3).ToArray());
        Assert.Equal(new[] { 2, 2, 3 }, b.Expand(2, -1, 3).Shape);
    }

    [Fact]
    public void Reshape_Throws_NamingBothShapes()
    {
        var ex = Assert.Throws<ArgumentException>(() => Tensor.Zeros(2, 3).Reshape(4, -1));
        Assert.Contains("reshape", ex.Message);
        Assert.Contains("[2, 3]", ex.Message);
        Assert.Contains("[4, -1]", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => Tensor.Zeros(2, 3).Reshape(-1, -1));
        Assert.Contains("more than one -1", ex.Message);
    }

    [Fact]
    public void Slice_And_IndexSelect_Throw_OnOutOfRangeIndices()
    {
        var ex = Assert.Throws<ArgumentException>(() => Tensor.Zeros(2, 3).Slice(1, 1, 5));
        Assert.Contains("slice", ex.Message);
        Assert.Contains("end 5", ex.Message);
        Assert.Contains("size 3", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => Tensor.Zeros(2, 3).IndexSelect(0, [0, 2]));
        Assert.Contains("index_select", ex.Message);
        Assert.Contains("index 2", ex.Message);
        Assert.Contains("0..1", ex.Message);
    }

    [Fact]
    public void Gather_Throws_NamingOpValueAndAllowedRange()
    {
        var t = Tensor.Zeros(2, 3);
        var ex = Assert.Throws<ArgumentException>(() => t.Gather(1, Tensor.FromArray([0, 3], 1, 2)));
        Assert.Contains("gather", ex.Message);
        Assert.Contains("value 3", ex.Message);
        Assert.Contains("0..2", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => t.Gather(1, Tensor.FromArray([0.5], 1, 1)));
        Assert.Contains("value 0.5", ex.Message);
    }

    [Fact]
    public void Concat_Stack_Expand_Throw_NamingMismatchedShapes()
    {
        var ex = Assert.Throws<ArgumentException>(() => Tensor.Concat([Tensor.Zeros(2, 3), Tensor.Zeros(3, 3)], 1));
        Assert.Contains("cat", ex.Message);
        Assert.Contains("[3, 3]", ex.Message);
        Assert.Contains("[2, 3]", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => Tensor.Stack([Tensor.Zeros(3), Tensor.Zeros(4)], 0));
        Assert.Contains("stack", ex.Message);
        Assert.Contains("[4]", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => Tensor.Zeros(2, 3).Expand(2, 4));
        Assert.Contains("expand", ex.Message);
        Assert.Contains("[2, 4]", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => Tensor.Zeros(3).T());
        Assert.Contains("t:", ex.Message);
    }
}
