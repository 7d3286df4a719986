// Small configs that tests in more than one test project share (linked into DpsTorch.Cli.Tests).
namespace DpsTorch.Tests;

internal static class TestConfigs
{
    /// <summary>A tiny nested system: two racks of two nodes of two leaves (M = 32, N = 8, 20 steps, 1 restart).</summary>
    internal const string TinyNested = """
        { "name": "tiny nested", "description": "Two racks of two nodes of two leaves.",
          "space": { "m": 32 }, "agents": { "count": 8 },
          "demand": { "kind": "peaks", "peaks": 2, "width": 0.3 },
          "training": { "steps": 20, "restarts": 1, "logEvery": 5 },
          "measures": { "seeds": 2, "fractions": [0, 0.5, 1] },
          "levels": [
            { "name": "node", "size": 2, "topology": { "kind": "complete", "learned": true }, "lambdaC": 0.01, "fixedShare": true },
            { "name": "rack", "size": 2, "topology": { "kind": "complete", "weight": 0.3 }, "lambdaC": 0.02 },
            { "name": "hall", "size": 2, "topology": { "kind": "complete", "learned": true }, "lambdaC": 0.1 } ] }
        """;

    /// <summary>A soft budget with a huge rate: one step sends every α far below −745, where softplus(α) underflows to 0;
    /// the measures used to fail later with "weights must not be all zero", naming no step.</summary>
    internal const string SoftCollapse = """
        { "space": { "m": 32 }, "agents": { "count": 4, "resources": "soft" }, "objective": { "lambdaR": 1e12 },
          "training": { "steps": 20, "restarts": 1, "lr": 1000, "logEvery": 5 },
          "measures": { "resilienceSteps": 0, "fractions": [0, 0.5, 1], "seeds": 1 } }
        """;
}
