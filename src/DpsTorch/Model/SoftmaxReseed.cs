// The re-seed move for a budget held as softmax shares (a = R·softmax(α)), used by the economics case studies
// (Model/Ricardo.cs, Model/Portfolio.cs): a share that should grow but is almost zero has the gradient
// a_k (v_k − v̄), too small for L-BFGS to notice, so gradient descent leaves it starved. The move gives it back a
// share of about 1/K of the largest one and lets the next solve decide. The opposite move (in Rebalance) is the other half of
// the Kuhn-Tucker condition: a share that should be zero decays only as fast as its own small gradient, so the move
// divides it by a fixed factor and lets the next solve decide (a starved share that should be used is raised again).
namespace DpsTorch.Model;

/// <summary>Raises starved softmax logits that the optimality condition says should be used.</summary>
internal static class SoftmaxReseed
{
    /// <summary>Sets every logit k with <paramref name="pays"/>(k) that lies below max − ln K to max − ln K
    /// (K the number of logits). Returns how many were raised.</summary>
    public static int Raise(Tensor logits, Func<int, bool> pays)
    {
        var data = logits.Data.ToArray();
        double floor = data.Max() - Math.Log(data.Length);
        int raised = 0;
        for (int k = 0; k < data.Length; k++)
            if (data[k] < floor && pays(k)) { data[k] = floor; raised++; }
        if (raised > 0) logits.Copy_(data);
        return raised;
    }

    /// <summary>
    /// Both halves of the Kuhn-Tucker move in one pass: raises every logit k with <paramref name="pays"/>(k) by
    /// ln <paramref name="factor"/> (its share grows by about that factor), and at least to max − ln K as
    /// <see cref="Raise"/> does (max taken before the move), and lowers every logit with <paramref name="idle"/>(k) by
    /// ln <paramref name="factor"/>. Returns how many were moved either way.
    /// </summary>
    public static int Rebalance(Tensor logits, Func<int, bool> pays, Func<int, bool> idle, double factor)
    {
        var data = logits.Data.ToArray();
        double floor = data.Max() - Math.Log(data.Length), step = Math.Log(factor);
        int moved = 0;
        for (int k = 0; k < data.Length; k++)
        {
            bool up = pays(k), down = idle(k);
            if (up) data[k] = Math.Max(data[k] + step, floor);
            if (down) data[k] -= step;
            if (up || down) moved++;
        }
        if (moved > 0) logits.Copy_(data);
        return moved;
    }
}
