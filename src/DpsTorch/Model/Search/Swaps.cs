// Moves gradient descent cannot make (issue 13): on a graph, exchanging two agents' parameters (μ, ρ, α) moves a
// skill from one node to another in one step, which a continuous path can only do through worse states. A greedy
// pass tries every pair and keeps each exchange that lowers the loss; passes repeat until none does.
namespace DpsTorch.Model.Search;

/// <summary>Greedy pairwise swaps of agents between the nodes of a fixed or learned graph.</summary>
public static class Swaps
{
    /// <summary>
    /// Up to <paramref name="passes"/> passes over all pairs (i, j) of agents, keeping each swap of their μ, ρ, α that
    /// lowers the full loss by more than a relative 1e-12. Does nothing without edges (every node is alike then).
    /// Returns the number of swaps kept; the model holds the improved state.
    /// </summary>
    public static int Run(DpsModel model, int passes)
    {
        if (passes <= 0 || model.Interaction.Edges.Count == 0) return 0;
        using var noGrad = TensorEngine.NoGrad();
        double loss = model.Loss().Total.Item();
        int kept = 0;
        for (int pass = 0; pass < passes; pass++)
        {
            int keptThisPass = 0;
            for (int i = 0; i < model.N; i++)
                for (int j = i + 1; j < model.N; j++)
                {
                    Exchange(model, i, j);
                    double trial = model.Loss().Total.Item();
                    if (trial < loss - 1e-12 * Math.Abs(loss)) { loss = trial; keptThisPass++; }
                    else Exchange(model, i, j);
                }
            TensorEngine.EndStep();
            kept += keptThisPass;
            if (keptThisPass == 0) break;
        }
        return kept;
    }

    private static void Exchange(DpsModel model, int i, int j)
    {
        int d = model.Dimensions;
        if (d == 1)
        {
            foreach (var t in new[] { model.Mu, model.Rho, model.Alpha })
                (t[i], t[j]) = (t[j], t[i]);
            return;
        }
        foreach (var t in new[] { model.Mu, model.Rho })
            for (int k = 0; k < d; k++) (t[i * d + k], t[j * d + k]) = (t[j * d + k], t[i * d + k]);
        (model.Alpha[i], model.Alpha[j]) = (model.Alpha[j], model.Alpha[i]);
    }
}
