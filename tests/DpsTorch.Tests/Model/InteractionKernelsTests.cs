using DpsTorch.Model;
using static DpsTorch.Tests.TestUtil;

namespace DpsTorch.Tests.Model;

/// <summary>The (I + Q)·x strategies: dense and sparse agree, the default follows the one rule, and a kernel can be replaced.</summary>
public class InteractionKernelsTests
{
    /// <summary>Q on n agents: a ring plus chords every <paramref name="chordStep"/> (dense enough for n small), learned or fixed.</summary>
    private static Interaction Make(int n, bool learned, int chordStep = 0)
    {
        var edges = new List<(int, int)>();
        for (int i = 0; i < n; i++) edges.Add((Math.Min(i, (i + 1) % n), Math.Max(i, (i + 1) % n)));
        if (chordStep > 0)
            for (int i = 0; i < n; i++)
                for (int j = i + 2; j < n; j += chordStep)
                    if (!(i == 0 && j == n - 1)) edges.Add((i, j));
        var cost = edges.Select((_, e) => 1.0 + 0.1 * e).ToArray();
        var values = edges.Select((_, e) => 0.3 + 0.4 * Math.Sin(e + 1.0) * Math.Sin(e + 1.0)).ToArray();
        return learned ? new Interaction(n, edges, cost, null, values) : new Interaction(n, edges, cost, values, null);
    }

    private static (double[] Value, double[] GradX, double[]? GradTheta) Run(Interaction q, IInteractionKernel kernel)
    {
        q.Kernel = kernel;
        q.Theta?.ZeroGrad();
        var x = Param(5, [q.N, 6]);
        var y = q.ApplyWithIdentity(q.Weights(), x);
        (y * Tensor.Rand(new Random(9), [q.N, 6], -1, 1)).Sum().Backward();
        return (y.ToArray(), x.Grad!.ToArray(), q.Theta?.Grad?.ToArray());
    }

    [Theory]
    [InlineData(12, true, 0)]
    [InlineData(12, true, 1)]
    [InlineData(12, false, 1)]
    [InlineData(600, true, 0)]   // above the dense kernel's small-N limit: the general scatter
    public void DenseAndSparse_AgreeInValueAndGradients(int n, bool learned, int chordStep)
    {
        var q = Make(n, learned, chordStep);
        var dense = Run(q, new DenseInteractionKernel(q));
        var sparse = Run(q, new SparseInteractionKernel(q));
        AssertClose(sparse.Value, dense.Value, 1e-12);
        AssertClose(sparse.GradX, dense.GradX, 1e-12);
        if (learned) AssertClose(sparse.GradTheta!, dense.GradTheta!, 1e-11);
        else Assert.Null(dense.GradTheta);

        // and both equal x + Q·x, a second call (cached positions, fixed I + Q) included
        var x = Param(5, [n, 6]);
        var expected = (x + q.Apply(q.Weights(), x)).ToArray();
        foreach (IInteractionKernel k in new IInteractionKernel[] { new DenseInteractionKernel(q), new SparseInteractionKernel(q) })
            for (int call = 0; call < 2; call++)
                AssertClose(expected, k.ApplyWithIdentity(q.Weights(), x).ToArray(), 1e-12);
    }

    [Fact]
    public void Gradients_MatchFiniteDifferences_ForBothKernels()
    {
        var q = Make(8, learned: true, chordStep: 2);
        foreach (IInteractionKernel k in new IInteractionKernel[] { new DenseInteractionKernel(q), new SparseInteractionKernel(q) })
            AssertGradients(t => (k.ApplyWithIdentity(t[0].Sigmoid(), t[1]) * Tensor.Rand(new Random(3), [8, 4], -1, 1)).Sum(),
                [Param(1, [q.Edges.Count]), Param(2, [8, 4])]);
    }

    [Fact]
    public void DefaultKernel_FollowsTheOneRule()
    {
        var ring = Make(40, learned: true);
        var dense = Make(12, learned: true, chordStep: 1);
        Assert.False(InteractionKernels.PrefersDense(ring.N, ring.Edges.Count));
        Assert.True(InteractionKernels.PrefersDense(dense.N, dense.Edges.Count));
        Assert.IsType<SparseInteractionKernel>(ring.Kernel);
        Assert.IsType<DenseInteractionKernel>(dense.Kernel);
        Assert.False(ring.UsesDense);
        Assert.True(dense.UsesDense);
        Assert.False(InteractionKernels.PrefersDense(InteractionKernels.DenseMaxN + 1, (long)InteractionKernels.DenseMaxN * InteractionKernels.DenseMaxN));
        Assert.False(InteractionKernels.PrefersDense(10, 0));
    }

    private sealed class CountingKernel(IInteractionKernel inner) : IInteractionKernel
    {
        public int Calls { get; private set; }
        public Tensor ApplyWithIdentity(Tensor q, Tensor x) { Calls++; return inner.ApplyWithIdentity(q, x); }
    }

    [Fact]
    public void AReplacedKernel_IsWhatTheModelUses_AndGivesTheSameLoss()
    {
        var c = DpsTorch.Config.ConfigLoader.Parse("""
            { "space": { "m": 32 }, "agents": { "count": 10, "init": "random" },
              "topology": { "kind": "ring", "k": 2, "learned": true, "weight": 0.4 },
              "objective": { "kind": "local", "lambdaC": 0.1 } }
            """);
        var model = SystemBuilder.Create(c);
        double before = model.Loss().Total.Item();
        var counting = new CountingKernel(new DenseInteractionKernel(model.Interaction));
        model.Interaction.Kernel = counting;
        double after = model.Loss().Total.Item();
        Assert.True(counting.Calls >= 1);
        Assert.True(Math.Abs(after - before) <= 1e-12 * Math.Abs(before), $"sparse {before:G17}, dense {after:G17}");
        Assert.Throws<ArgumentNullException>(() => model.Interaction.Kernel = null!);
    }

    [Fact]
    public void NoEdges_ApplyWithIdentity_IsX()
    {
        var q = new Interaction(4, [], [], [], null);
        var x = Param(1, [4, 3]);
        Assert.Same(x, q.ApplyWithIdentity(q.Weights(), x));
        Assert.False(q.UsesDense);
    }
}
