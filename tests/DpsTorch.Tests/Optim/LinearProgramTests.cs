// The dense simplex of the fleet case (Optim/LinearProgram.cs): textbook optima, Beale's degenerate example that
// cycles under Dantzig's rule (Bland's rule must end it), an unbounded ray, and one-line errors for bad input.
using DpsTorch.Optim;

namespace DpsTorch.Tests.Optim;

public class LinearProgramTests
{
    [Fact]
    public void Textbook_ReachesTheVertex()
    {
        // max 3x + 5y, x ≤ 4, 2y ≤ 12, 3x + 2y ≤ 18: (2, 6), value 36 (Hillier & Lieberman's Wyndor example).
        var r = LinearProgram.Maximize([3, 5], [1, 0, 0, 2, 3, 2], [4, 12, 18]);
        Assert.Equal(LinearProgramStatus.Optimal, r.Status);
        Assert.Equal(36, r.Objective, 10);
        Assert.Equal(2, r.X[0], 10);
        Assert.Equal(6, r.X[1], 10);
    }

    [Fact]
    public void BealesDegenerateExample_EndsAtItsOptimum()
    {
        // Beale (1955): max ¾x₁ − 20x₂ + ½x₃ − 6x₄ with two degenerate rows; Dantzig's rule cycles, the optimum is 5/4 at x = (1, 0, 1, 0).
        double[] a = [0.25, -8, -1, 9, 0.5, -12, -0.5, 3, 0, 0, 1, 0];
        var r = LinearProgram.Maximize([0.75, -20, 0.5, -6], a, [0, 0, 1]);
        Assert.Equal(LinearProgramStatus.Optimal, r.Status);
        Assert.Equal(1.25, r.Objective, 10);
        Assert.Equal(1, r.X[0], 10);
        Assert.Equal(1, r.X[2], 10);
    }

    [Fact]
    public void RandomFeasiblePrograms_MatchAGridOfTheirVertices()
    {
        // Two variables: the optimum is the best of the feasible intersections of every pair of boundary lines.
        var rng = new Random(3);
        for (int trial = 0; trial < 50; trial++)
        {
            int m = 4;
            var a = new double[m * 2];
            var b = new double[m];
            for (int i = 0; i < m; i++) { a[2 * i] = rng.NextDouble() + 0.1; a[2 * i + 1] = rng.NextDouble() + 0.1; b[i] = rng.NextDouble() + 0.5; }
            double[] c = [rng.NextDouble(), rng.NextDouble()];
            var r = LinearProgram.Maximize(c, a, b);
            // Lines: the m rows and the axes x = 0, y = 0.
            var lines = new List<(double A, double B, double C)>();
            for (int i = 0; i < m; i++) lines.Add((a[2 * i], a[2 * i + 1], b[i]));
            lines.Add((1, 0, 0));
            lines.Add((0, 1, 0));
            double best = double.NegativeInfinity;
            for (int i = 0; i < lines.Count; i++)
                for (int j = i + 1; j < lines.Count; j++)
                {
                    double det = lines[i].A * lines[j].B - lines[i].B * lines[j].A;
                    if (Math.Abs(det) < 1e-12) continue;
                    double x = (lines[i].C * lines[j].B - lines[i].B * lines[j].C) / det, y = (lines[i].A * lines[j].C - lines[i].C * lines[j].A) / det;
                    if (x < -1e-12 || y < -1e-12) continue;
                    bool ok = true;
                    for (int k = 0; k < m; k++) ok &= a[2 * k] * x + a[2 * k + 1] * y <= b[k] + 1e-12;
                    if (ok) best = Math.Max(best, c[0] * x + c[1] * y);
                }
            Assert.Equal(LinearProgramStatus.Optimal, r.Status);
            Assert.True(Math.Abs(r.Objective - best) < 1e-10, $"trial {trial}: simplex {r.Objective}, vertices {best}");
        }
    }

    [Fact]
    public void UnboundedRay_IsReported()
    {
        // max x + y with only −x + y ≤ 1: x grows without bound.
        var r = LinearProgram.Maximize([1, 1], [-1, 1], [1]);
        Assert.Equal(LinearProgramStatus.Unbounded, r.Status);
    }

    [Fact]
    public void BadInput_IsOneLineNamingTheEntry()
    {
        var e = Assert.Throws<ArgumentException>(() => LinearProgram.Maximize([1, 1], [1, 1], [-1]));
        Assert.Contains("b[0] = -1", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Throws<ArgumentException>(() => LinearProgram.Maximize([1, 1], [1, 1, 1], [1]));
        Assert.Throws<ArgumentException>(() => LinearProgram.Maximize([1, double.NaN], [1, 1], [1]));
    }
}
