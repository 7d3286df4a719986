// A two-country Ricardian economy on the goods axis (issue 16 part 2, economics; experiments/13-ricardo). The goods are
// the M grid points of the DPS circle; country c's labour productivity over the goods is its skill density,
// π_c(x) = 2π·WN(x; μ_c, σ_c) (mean 1 over the goods); the consumption shares are the demand, b(x) = D(x)Δ / ∫D
// (Cobb-Douglas preferences, the same in both countries); trade costs are iceberg: of one unit shipped between the two
// countries g = exp(−τ) arrives, so g is the link weight between the two agents and 1 − g what the link costs.
//
// Two solutions of the same economy:
//  - Reference (Dornbusch, Fischer & Samuelson 1977, AER 67:823-839, section III): with A(x) = π_H(x)/π_F(x) and the
//    relative wage ω = w_H/w_F, home serves its own market with the goods A ≥ g·ω, exports the goods A ≥ ω/g, and
//    the goods in between are not traded; trade balances, ω L_H (1 − θ_home) = L_F θ_export (θ the demand share of a
//    set of goods). One root in ω; without trade costs it is DFS's A(z̃) = B(z̃) = θ(z̃)/(1 − θ(z̃)) · L_F/L_H.
//  - Optimiser: the world planner maximises W = Σ_d ψ_d Σ_x b(x) ln C_d(x) over the labour allocations
//    ℓ_c = L_c·softmax(θ_c) (the DPS budget parametrisation a = R·softmax(α)) over 2M activities, good x for the
//    own market and good x for export, with C_H(x) = π_H ℓ_H,own(x) + g π_F ℓ_F,export(x) (L-BFGS on the project's
//    autograd; concave in ℓ). With the Negishi weights ψ_d equal to the countries' income shares (a fixed point, iterated) the
//    optimum is the competitive equilibrium; wages are the shadow prices of labour, w_c = Σ_x ℓ_c ∂W/∂ℓ_c / L_c.
//    Without trade costs (g = 1) a good's own-market and export activities are the same good: the objective is flat
//    along their split wherever both countries make the good, and the problem is badly conditioned. There each country
//    has one activity per good, world output Q(x) = π_H ℓ_H(x) + π_F ℓ_F(x) is split between the markets as the
//    planner would (C_d = ψ_d Q, the optimum of Σ_d ψ_d b ln C_d for a fixed Q), and W = Σ_x b ln Q + const.
//    Optimality is the full Kuhn-Tucker test: no activity pays more than the wage (the gap), and no activity that pays
//    less than the wage still supplies a share of its market (the slack); two moves enforce it, re-seeding the starved
//    paying activities and lowering the idle ones (Model/SoftmaxReseed.cs), each followed by another solve.
using DpsTorch.Optim;

namespace DpsTorch.Model;

/// <summary>An equilibrium of the two-country economy at one trade cost.</summary>
/// <param name="Tau">Iceberg trade cost τ (g = exp(−τ) of a shipped unit arrives).</param>
/// <param name="RelativeWage">ω = w_H / w_F.</param>
/// <param name="ExportShare">Fraction of the goods (by count) that home exports: home supplies both markets.</param>
/// <param name="HomeShare">Fraction of the goods home supplies to its own market (exports plus its non-traded goods).</param>
/// <param name="Welfare">Per country, Σ_x b ln C_d(x): log real income (utility) at the equilibrium.</param>
public sealed record RicardoEquilibrium(double Tau, double RelativeWage, double ExportShare, double HomeShare, double[] Welfare)
{
    /// <summary>Fraction of the goods not traded: each country makes its own (DFS's band between the two cutoffs).</summary>
    public double NonTradedShare => HomeShare - ExportShare;
}

/// <summary>What the optimiser found, beside the equilibrium it implies.</summary>
/// <param name="Equilibrium">Relative wage (shadow prices), cutoffs (who supplies which market) and welfare.</param>
/// <param name="SharedGoods">Goods that both countries produce (each more than <see cref="RicardoEconomy.ShareTolerance"/> of the good's output).</param>
/// <param name="Violations">Goods produced against comparative advantage at the optimiser's own ω: home makes a good with A &lt; g·ω, or foreign one with A &gt; ω/g (by more than the share tolerance, A off by more than <see cref="RicardoEconomy.GapTolerance"/> relative).</param>
/// <param name="Converged">The last Negishi round ended at the planner's optimum (the gap within <see cref="RicardoEconomy.GapTolerance"/>
/// and the slack within <see cref="RicardoEconomy.SlackTolerance"/>) and the weights settled.</param>
/// <param name="Iterations">L-BFGS iterations over all Negishi rounds.</param>
/// <param name="NegishiRounds">Rounds of the Negishi fixed point.</param>
/// <param name="HomeOutputShare">Per good, home's share of the world output q_H / (q_H + q_F).</param>
/// <param name="Gap">Largest excess return of any activity over its country's wage, v_k/λ_c − 1, at the end (≤ 0 at the optimum).</param>
/// <param name="Slack">Complementary slackness at the end: the largest share of a market's consumption of a good supplied
/// by an activity that pays less than (1 − <see cref="RicardoEconomy.GapTolerance"/>) times its country's wage (0 at the optimum).</param>
/// <param name="Own">Per country, the labour making each good for its own market.</param>
/// <param name="Export">Per country, the labour making each good for the other country's market.</param>
/// <param name="HomeWeight">The last Negishi weight of home, ψ_H (foreign's is 1 − ψ_H).</param>
public sealed record RicardoOptimum(RicardoEquilibrium Equilibrium, int SharedGoods, int Violations, bool Converged, long Iterations,
    int NegishiRounds, double[] HomeOutputShare, double Gap, double Slack, double[][] Own, double[][] Export, double HomeWeight);

/// <summary>The Kuhn-Tucker test of one allocation of the planner's problem.</summary>
/// <param name="Gap">Largest excess return of any activity over its country's wage (≤ 0 at the optimum).</param>
/// <param name="Slack">Largest share of a market's consumption of a good supplied by an activity that pays less than
/// (1 − <see cref="RicardoEconomy.GapTolerance"/>) times the wage (0 at the optimum).</param>
public sealed record RicardoOptimality(double Gap, double Slack)
{
    /// <summary>Both conditions hold to their tolerances (<see cref="RicardoEconomy.GapTolerance"/>, <see cref="RicardoEconomy.SlackTolerance"/>).</summary>
    public bool Optimal => Gap <= RicardoEconomy.GapTolerance && Slack <= RicardoEconomy.SlackTolerance;
}

/// <summary>The two-country Ricardian economy of one config: productivities, consumption shares and labour.</summary>
public sealed class RicardoEconomy
{
    /// <summary>A good counts as made by a country when that country makes more than this share of it.</summary>
    public const double ShareTolerance = 1e-3;
    /// <summary>A solve has converged when no activity pays more than (1 + this) times the wage (and none that pays
    /// less than (1 − this) times it holds labour, <see cref="SlackTolerance"/>): the optimality (Kuhn-Tucker)
    /// conditions of the planner's problem, which the softmax's vanishing gradients hide.</summary>
    public const double GapTolerance = 1e-5;
    /// <summary>The other half of the optimality condition: no activity that pays less than (1 − <see cref="GapTolerance"/>)
    /// times its country's wage supplies more than this share of its market's consumption of the good.</summary>
    public const double SlackTolerance = 1e-4;
    /// <summary>Kuhn-Tucker moves per Negishi round (re-seeding under-used paying activities, lowering idle ones), each followed by another solve.</summary>
    public const int MaxReseeds = 30;
    /// <summary>A Kuhn-Tucker move multiplies a paying activity's share by this (at least to 1/K of the largest) and
    /// divides an idle one's by it: the solve after it settles the rest, since a small share has too small a gradient
    /// (and too small an effect on W for double precision) for L-BFGS to move it itself.</summary>
    public const double MoveFactor = 10;
    /// <summary>The Negishi weights have settled when they move less than this in a round.</summary>
    public const double NegishiTolerance = 1e-8;
    /// <summary>Most rounds of the Negishi fixed point.</summary>
    public const int MaxNegishiRounds = 60;
    private const int MaxIterationsPerSolve = 1000;

    private readonly double[][] _pi;
    private readonly double[] _b, _labour;

    /// <summary>The economy on the goods <paramref name="space"/> with consumption weights <paramref name="demand"/>
    /// (any non-negative profile with positive mass; normalised to shares), two labour forces, and each country's
    /// productivity peak and breadth (radians).</summary>
    public RicardoEconomy(Space space, ReadOnlySpan<double> demand, ReadOnlySpan<double> labour, ReadOnlySpan<double> location, ReadOnlySpan<double> breadth)
    {
        ArgumentNullException.ThrowIfNull(space);
        if (space.Dimensions != 1) throw new ArgumentException($"ricardo: the goods axis is the circle (space.dimensions 1), not {space}.", nameof(space));
        if (demand.Length != space.M) throw new ArgumentException($"ricardo: the demand has {demand.Length} points, the space {space.M}.", nameof(demand));
        if (labour.Length != 2 || location.Length != 2 || breadth.Length != 2)
            throw new ArgumentException("ricardo: labour, location and breadth need one value per country (two).");
        double total = 0;
        foreach (double d in demand)
        {
            if (!(d >= 0) || !double.IsFinite(d)) throw new ArgumentException($"ricardo: demand value {d} is not a finite number >= 0.", nameof(demand));
            total += d;
        }
        if (!(total > 0)) throw new ArgumentException("ricardo: the demand has no mass.", nameof(demand));
        _b = new double[space.M];
        for (int m = 0; m < space.M; m++) _b[m] = demand[m] / total;
        _labour = [labour[0], labour[1]];
        _pi = new double[2][];
        for (int c = 0; c < 2; c++)
        {
            if (!(labour[c] > 0) || !(breadth[c] > 0)) throw new ArgumentException($"ricardo: country {c} needs labour > 0 and breadth > 0 (got {labour[c]}, {breadth[c]}).");
            _pi[c] = new double[space.M];
            for (int m = 0; m < space.M; m++) _pi[c][m] = 2 * Math.PI * WrappedNormal.Density(space.Grid[m], location[c], breadth[c]);
        }
        Advantage = new double[space.M];
        for (int m = 0; m < space.M; m++) Advantage[m] = _pi[0][m] / _pi[1][m];
    }

    /// <summary>Number of goods M.</summary>
    public int Goods => _b.Length;
    /// <summary>Consumption shares b (sum 1).</summary>
    public IReadOnlyList<double> Shares => _b;
    /// <summary>Home's comparative advantage per good, A(x) = π_H(x) / π_F(x).</summary>
    public double[] Advantage { get; }
    /// <summary>Labour productivity of country <paramref name="c"/> (0 home, 1 foreign) per good.</summary>
    public IReadOnlyList<double> Productivity(int c) => _pi[c];

    /// <summary>Σ_x b ln(b L_c π_c): country c's utility in autarky (all its labour spent in proportion to b).</summary>
    public double AutarkyWelfare(int c)
    {
        double u = 0;
        for (int m = 0; m < Goods; m++) if (_b[m] > 0) u += _b[m] * Math.Log(_b[m] * _labour[c] * _pi[c][m]);
        return u;
    }

    /// <summary>DFS77's equilibrium at trade cost <paramref name="tau"/>: the root ω of the trade balance (bisection on
    /// ln ω to rounding), the cutoffs as fractions of the goods, and the welfare at the competitive prices.</summary>
    public RicardoEquilibrium Reference(double tau)
    {
        CheckTau(tau);
        double g = Math.Exp(-tau);
        double lo = Math.Log(g * Advantage.Min()) - 1, hi = Math.Log(Advantage.Max() / g) + 1;
        for (int i = 0; i < 200 && hi - lo > 1e-15 * Math.Max(1, Math.Abs(hi)); i++)
        {
            double mid = (lo + hi) / 2;
            if (Balance(Math.Exp(mid), g) >= 0) hi = mid; else lo = mid;
        }
        double omega = Math.Exp(hi);
        int exports = 0, home = 0;
        foreach (double a in Advantage)
        {
            if (a >= omega / g) exports++;
            if (a >= g * omega) home++;
        }
        // Competitive prices with w_F = 1: each market buys from the cheaper supplier, delivered.
        var welfare = new double[2];
        double[] income = [omega * _labour[0], _labour[1]];
        for (int m = 0; m < Goods; m++)
        {
            if (_b[m] <= 0) continue;
            double pHome = Math.Min(omega / _pi[0][m], 1 / (g * _pi[1][m]));
            double pForeign = Math.Min(1 / _pi[1][m], omega / (g * _pi[0][m]));
            welfare[0] += _b[m] * Math.Log(_b[m] * income[0] / pHome);
            welfare[1] += _b[m] * Math.Log(_b[m] * income[1] / pForeign);
        }
        return new RicardoEquilibrium(tau, omega, (double)exports / Goods, (double)home / Goods, welfare);
    }

    /// <summary>f(ω) = ω L_H (1 − θ_home(ω)) − L_F θ_export(ω): home's imports less its exports; increasing in ω.</summary>
    private double Balance(double omega, double g)
    {
        double home = 0, exports = 0;
        for (int m = 0; m < Goods; m++)
        {
            if (Advantage[m] >= g * omega) home += _b[m];
            if (Advantage[m] >= omega / g) exports += _b[m];
        }
        return omega * _labour[0] * (1 - home) - _labour[1] * exports;
    }

    /// <summary>The world planner's optimum at trade cost <paramref name="tau"/> from random logits drawn from
    /// <paramref name="rng"/> (standard normal), with the Negishi weights iterated to the income shares.</summary>
    public RicardoOptimum Optimise(double tau, Random rng, CancellationToken cancel = default)
    {
        CheckTau(tau);
        ArgumentNullException.ThrowIfNull(rng);
        double g = Math.Exp(-tau);
        int n = Goods;
        // Per country one softmax over 2M activities: good m for its own market (first M), good m for export (last M);
        // without trade costs one per good (the two are the same good). Consumption is linear in labour, so the
        // planner's problem is concave and every point that meets the Kuhn-Tucker conditions is the optimum.
        bool merged = g == 1;
        int activities = merged ? n : 2 * n;
        var logits = new[] { Tensor.RandN(rng, activities).RequiresGrad_(), Tensor.RandN(rng, activities).RequiresGrad_() };
        var b = Tensor.FromArray(_b);
        var pi = new[] { Tensor.FromArray(_pi[0]), Tensor.FromArray(_pi[1]) };
        double psiHome = _labour[0] / (_labour[0] + _labour[1]), psi = psiHome;
        bool converged = false, settled = false;
        long iterations = 0;
        int rounds = 0;
        State s = default!;
        while (rounds < MaxNegishiRounds)
        {
            cancel.ThrowIfCancellationRequested();
            rounds++;
            psi = psiHome;
            for (int pass = 0; ; pass++)
            {
                var lbfgs = new Lbfgs(logits, lr: 1, maxIter: MaxIterationsPerSolve, historySize: 20, toleranceGrad: 1e-12,
                    toleranceChange: 1e-16, maxEval: 2 * MaxIterationsPerSolve);
                lbfgs.Step(() =>
                {
                    lbfgs.ZeroGrad();
                    var lH = logits[0].Softmax(0) * _labour[0];
                    var lF = logits[1].Softmax(0) * _labour[1];
                    Tensor loss;
                    if (merged) loss = -(b * (lH * pi[0] + lF * pi[1]).Log()).Sum(); // W less the constant Σ_d ψ_d ln ψ_d
                    else
                    {
                        var cH = lH.Slice(0, 0, n) * pi[0] + lF.Slice(0, n, 2 * n) * pi[1] * g;
                        var cF = lF.Slice(0, 0, n) * pi[1] + lH.Slice(0, n, 2 * n) * pi[0] * g;
                        loss = -((b * cH.Log()).Sum() * psi + (b * cF.Log()).Sum() * (1 - psi));
                    }
                    loss.Backward();
                    return loss.Item();
                });
                TensorEngine.EndStep();
                iterations += lbfgs.LastIterations;
                s = Read(logits, g, psi);
                if (s.Optimal || pass == MaxReseeds) break;
                for (int c = 0; c < 2; c++)
                {
                    var st = s;
                    int country = c;
                    // In the merged case activity m is both the own-market (m) and the export (M + m) activity; they pay the same.
                    bool Pays(int k) => st.Excess[country][k] > GapTolerance || (merged && st.Excess[country][n + k] > GapTolerance);
                    bool Idle(int k) => st.Idle(country, k) || (merged && st.Idle(country, n + k));
                    SoftmaxReseed.Rebalance(logits[c], Pays, Idle, MoveFactor);
                }
            }
            converged = s.Optimal;
            psiHome = s.Income[0] / (s.Income[0] + s.Income[1]);
            if (Math.Abs(psiHome - psi) < NegishiTolerance) { settled = true; break; }
        }
        return Summarise(tau, g, s, converged && settled, iterations, rounds, psi);
    }

    /// <summary>Goods made against DFS77's assignment at <paramref name="reference"/>'s relative wage ω*: home makes
    /// more than <see cref="ShareTolerance"/> of a good with A &lt; g·ω*, or foreign of one with A &gt; ω*/g (A off by
    /// more than 1e-6 relative; the marginal goods, where A equals the cutoff, may be made by both).</summary>
    public int MadeAgainst(RicardoOptimum optimum, RicardoEquilibrium reference)
    {
        ArgumentNullException.ThrowIfNull(optimum);
        ArgumentNullException.ThrowIfNull(reference);
        double g = Math.Exp(-reference.Tau), omega = reference.RelativeWage;
        int against = 0;
        for (int m = 0; m < Goods; m++)
        {
            double share = optimum.HomeOutputShare[m];
            if (share > ShareTolerance && Advantage[m] < g * omega * (1 - 1e-6)) against++;
            else if (share < 1 - ShareTolerance && Advantage[m] > omega / g * (1 + 1e-6)) against++;
        }
        return against;
    }

    /// <summary>The Kuhn-Tucker test of an allocation at trade cost <paramref name="tau"/>: <paramref name="own"/>[c][x]
    /// and <paramref name="export"/>[c][x] are country c's labour making good x for its own and for the other market
    /// (each country's total its labour force), <paramref name="homeWeight"/> the planner's weight ψ_H on home.</summary>
    public RicardoOptimality Optimality(double tau, double[][] own, double[][] export, double homeWeight)
    {
        CheckTau(tau);
        ArgumentNullException.ThrowIfNull(own);
        ArgumentNullException.ThrowIfNull(export);
        if (own.Length != 2 || export.Length != 2 || own.Concat(export).Any(a => a is null || a.Length != Goods))
            throw new ArgumentException($"ricardo: the allocation needs two countries of {Goods} goods per market.");
        if (!(homeWeight > 0 && homeWeight < 1)) throw new ArgumentOutOfRangeException(nameof(homeWeight), homeWeight, "ricardo: the weight on home must lie in (0, 1).");
        var s = Evaluate(own, export, Math.Exp(-tau), homeWeight);
        return new RicardoOptimality(s.Gap, s.Slack);
    }

    /// <summary>Labour per activity (<c>Own[c][m]</c> for c's market, <c>Export[c][m]</c> for the other's), consumption
    /// per market, the incomes Y_c, each activity's excess return v_k/λ_c − 1 over the wage, and each activity's share
    /// of its market's consumption of its good.</summary>
    private sealed record State(double[][] Own, double[][] Export, double[][] Consumption, double[] Income, double[][] Excess, double[][] Supplied)
    {
        /// <summary>Activity k of country c pays less than the wage (beyond the tolerance) and still supplies more than
        /// <see cref="SlackTolerance"/> of its market.</summary>
        public bool Idle(int c, int k) => Excess[c][k] < -GapTolerance && Supplied[c][k] > SlackTolerance;

        /// <summary>Largest excess return over the wage, both countries.</summary>
        public double Gap => Math.Max(Excess[0].Max(), Excess[1].Max());

        /// <summary>Largest share of a market supplied by an activity that pays less than the wage (beyond the tolerance).</summary>
        public double Slack
        {
            get
            {
                double slack = 0;
                for (int c = 0; c < 2; c++)
                    for (int k = 0; k < Excess[c].Length; k++)
                        if (Excess[c][k] < -GapTolerance) slack = Math.Max(slack, Supplied[c][k]);
                return slack;
            }
        }

        /// <summary>The Kuhn-Tucker conditions hold to the tolerances.</summary>
        public bool Optimal => Gap <= GapTolerance && Slack <= SlackTolerance;
    }

    /// <summary>Allocations, consumption and the incomes Y_c = Σ ℓ ∂W/∂ℓ over c's activities (the shadow value of its labour).
    /// With one activity per good (M logits, free trade) its labour ℓ_c(x) is split between the markets as the
    /// planner splits the good's output: ψ_c of it for the own market, the rest for export.</summary>
    private State Read(Tensor[] logits, double g, double psi)
    {
        int n = Goods;
        var own = new double[2][];
        var export = new double[2][];
        double[] weight = [psi, 1 - psi];
        for (int c = 0; c < 2; c++)
        {
            var l = logits[c].Softmax(0).Data;
            own[c] = new double[n];
            export[c] = new double[n];
            if (l.Length == n)
                for (int m = 0; m < n; m++) { own[c][m] = _labour[c] * l[m] * weight[c]; export[c][m] = _labour[c] * l[m] * weight[1 - c]; }
            else
                for (int m = 0; m < n; m++) { own[c][m] = _labour[c] * l[m]; export[c][m] = _labour[c] * l[n + m]; }
        }
        return Evaluate(own, export, g, psi);
    }

    /// <summary>Consumption, incomes, excess returns and market shares of an allocation under the weights (ψ, 1 − ψ).</summary>
    private State Evaluate(double[][] own, double[][] export, double g, double psi)
    {
        int n = Goods;
        double[] weight = [psi, 1 - psi];
        double[] labour = [own[0].Sum() + export[0].Sum(), own[1].Sum() + export[1].Sum()];
        var cons = new double[2][];
        for (int d = 0; d < 2; d++)
        {
            cons[d] = new double[n];
            for (int m = 0; m < n; m++) cons[d][m] = _pi[d][m] * own[d][m] + g * _pi[1 - d][m] * export[1 - d][m];
        }
        var income = new double[2];
        var excess = new double[2][];
        var supplied = new double[2][];
        for (int c = 0; c < 2; c++)
        {
            // v: the value of one more unit of c's labour in each activity, ∂W/∂ℓ_k.
            var v = new double[2 * n];
            for (int m = 0; m < n; m++)
            {
                v[m] = _pi[c][m] * _b[m] * weight[c] / cons[c][m];
                v[n + m] = g * _pi[c][m] * _b[m] * weight[1 - c] / cons[1 - c][m];
                income[c] += own[c][m] * v[m] + export[c][m] * v[n + m];
            }
            double wage = income[c] / labour[c];
            excess[c] = new double[2 * n];
            for (int k = 0; k < 2 * n; k++) excess[c][k] = v[k] / wage - 1;
            supplied[c] = new double[2 * n];
            for (int m = 0; m < n; m++)
            {
                supplied[c][m] = Share(_pi[c][m] * own[c][m], cons[c][m]);
                supplied[c][n + m] = Share(g * _pi[c][m] * export[c][m], cons[1 - c][m]);
            }
        }
        return new State(own, export, cons, income, excess, supplied);
    }

    private static double Share(double part, double whole) => whole > 0 ? part / whole : 0;

    private RicardoOptimum Summarise(double tau, double g, State s, bool converged, long iterations, int rounds, double psi)
    {
        int n = Goods;
        double omega = (s.Income[0] / _labour[0]) / (s.Income[1] / _labour[1]);
        int exports = 0, home = 0, shared = 0, violations = 0;
        var homeShare = new double[n];
        for (int m = 0; m < n; m++)
        {
            double qH = _pi[0][m] * (s.Own[0][m] + s.Export[0][m]), qF = _pi[1][m] * (s.Own[1][m] + s.Export[1][m]);
            homeShare[m] = qH / (qH + qF);
            // Who supplies each market: home's delivered share of the home and the foreign market.
            double homeInHome = _pi[0][m] * s.Own[0][m] / s.Consumption[0][m];
            double homeInForeign = g * _pi[0][m] * s.Export[0][m] / s.Consumption[1][m];
            if (homeInHome > 0.5) home++;
            if (homeInForeign > 0.5 && homeInHome > 0.5) exports++;
            bool homeMakes = homeShare[m] > ShareTolerance, foreignMakes = homeShare[m] < 1 - ShareTolerance;
            if (homeMakes && foreignMakes) shared++;
            // Against comparative advantage by more than the optimality tolerance: the marginal good, whose A equals
            // the cutoff, pays both countries their wage to within it and may be made by both.
            if (homeMakes && Advantage[m] < g * omega * (1 - GapTolerance)) violations++;
            if (foreignMakes && Advantage[m] > omega / g * (1 + GapTolerance)) violations++;
        }
        var welfare = new double[2];
        for (int d = 0; d < 2; d++)
            for (int m = 0; m < n; m++) if (_b[m] > 0) welfare[d] += _b[m] * Math.Log(s.Consumption[d][m]);
        var eq = new RicardoEquilibrium(tau, omega, (double)exports / n, (double)home / n, welfare);
        return new RicardoOptimum(eq, shared, violations, converged, iterations, rounds, homeShare, s.Gap, s.Slack, s.Own, s.Export, psi);
    }

    private static void CheckTau(double tau)
    {
        if (!(tau >= 0) || !double.IsFinite(tau)) throw new ArgumentOutOfRangeException(nameof(tau), tau, "ricardo: the trade cost τ must be a finite number >= 0.");
    }
}
