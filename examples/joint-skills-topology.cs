#:project ../src/DpsTorch/DpsTorch.csproj
// Skills and links learned together: 12 agents on a three-peak demand with a learned communication graph, at three
// prices of communication. Dearer links should leave fewer, more complementary ones. Run: dotnet run joint-skills-topology.cs
using DpsTorch.Runs;
using DpsTorch.IO;
using DpsTorch.Config;
using DpsTorch.Model;

const string Study = """
    { "agents": { "count": 12 }, "demand": { "kind": "peaks", "peaks": 3, "width": 0.1 },
      "topology": { "kind": "complete", "learned": true, "embedding": "ring", "gamma": 1, "initWeight": 0.5 },
      "objective": { "kind": "local" }, "training": { "steps": 400, "restarts": 1 },
      "measures": { "resilienceSteps": 0, "seeds": 2 } }
    """;
var costs = new List<double>();
foreach (double lambdaC in new[] { 0.0, 0.003, 0.03 })
{
    var result = Experiment.Run(ConfigLoader.Parse(Study, overrides: [$"objective.lambdaC={lambdaC}"]));
    var m = result.Measures;
    Console.WriteLine($"lambdaC {lambdaC,-6} heterogeneity {m.Heterogeneity.Q1:F2}  coverage {m.Coverage:F3}  " +
        $"communication cost {m.CommunicationCost:F2}  link complementarity {m.LinkComplementarity:F3}");
    costs.Add(m.CommunicationCost);
}
// The claim this study checks: pricing communication lowers what the learned graph spends on it.
if (costs[^1] >= costs[0]) { Console.Error.WriteLine("unexpected: dearer links did not lower the communication cost"); return 1; }
return 0;
