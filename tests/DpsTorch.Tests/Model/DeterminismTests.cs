using DpsTorch.Config;
using DpsTorch.Model;

namespace DpsTorch.Tests.Model;

[Collection("threads")]
public class DeterminismTests
{
    [Fact]
    public void Training_IsBitIdentical_OnOneAndTwoThreads_AndAcrossRepeats()
    {
        var c = ConfigLoader.Parse("""
            { "space": { "m": 64 }, "agents": { "count": 40 }, "demand": { "peaks": 4, "width": 0.2 },
              "topology": { "kind": "ring", "k": 2, "learned": true }, "objective": { "kind": "local" },
              "training": { "steps": 30, "restarts": 1 } }
            """);
        double[] Train(int threads)
        {
            int saved = TensorEngine.NumThreads;
            try
            {
                TensorEngine.SetNumThreads(threads);
                var m = SystemBuilder.Create(c);
                Trainer.Train(m, c.Training, _ => (0, 0, 0));
                return [.. m.Mu.ToArray(), .. m.Rho.ToArray(), .. m.Alpha.ToArray(), .. m.Interaction.Theta!.ToArray()];
            }
            finally { TensorEngine.SetNumThreads(saved); }
        }
        var one = Train(1);
        Assert.Equal(one, Train(2));
        Assert.Equal(one, Train(1));
    }
}
