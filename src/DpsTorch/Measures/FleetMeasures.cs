// Measures of a fleet design (the computing case study, Model/Fleet.cs): throughput per unit of provisioned power,
// of energy drawn and of cost; utilisation; and the heterogeneity of the device mix as the Leinster-Cobbold Hill
// number of the budget shares, with the similarity of two device types the cosine of their throughput profiles.
using DpsTorch.Model;

namespace DpsTorch.Measures;

/// <summary>The numbers of a fleet design that a practitioner compares: throughput per unit of power, energy and cost, utilisation, heterogeneity.</summary>
public static class FleetMeasures
{
    /// <summary>Budget shares of the device types (k_t n_t over Σ k n).</summary>
    public static double[] BudgetShares(FleetProblem p, FleetDesign d)
    {
        ArgumentNullException.ThrowIfNull(p);
        ArgumentNullException.ThrowIfNull(d);
        var s = new double[p.Types];
        for (int t = 0; t < p.Types; t++) s[t] = p.Fixed[t] * d.Counts[t];
        double sum = s.Sum();
        if (sum > 0) for (int t = 0; t < p.Types; t++) s[t] /= sum;
        return s;
    }

    /// <summary>Mean power drawn (W per unit of budget): Σ_t TDP_t (idle·n_t + (1 − idle)·busy_t) + host·n_t.</summary>
    public static double PowerDrawn(FleetProblem p, FleetDesign d)
    {
        ArgumentNullException.ThrowIfNull(p);
        ArgumentNullException.ThrowIfNull(d);
        double w = 0;
        for (int t = 0; t < p.Types; t++) w += p.Devices[t].Power * (p.IdlePower * d.Counts[t] + (1 - p.IdlePower) * d.BusyDevices[t]) + p.HostPower * d.Counts[t];
        return w;
    }

    /// <summary>Provisioned power (W per unit of budget): Σ_t (TDP_t + host) n_t.</summary>
    public static double PowerProvisioned(FleetProblem p, FleetDesign d)
    {
        ArgumentNullException.ThrowIfNull(p);
        ArgumentNullException.ThrowIfNull(d);
        double w = 0;
        for (int t = 0; t < p.Types; t++) w += (p.Devices[t].Power + p.HostPower) * d.Counts[t];
        return w;
    }

    /// <summary>Cost per hour (dollars per unit of budget): purchase price per hour of life plus the electricity drawn.</summary>
    public static double CostPerHour(FleetProblem p, FleetDesign d)
    {
        ArgumentNullException.ThrowIfNull(p);
        ArgumentNullException.ThrowIfNull(d);
        double cost = PowerDrawn(p, d) / 1000 * p.ElectricityPrice;
        for (int t = 0; t < p.Types; t++) cost += p.HourlyPrice[t] * d.Counts[t];
        return cost;
    }

    /// <summary>Utilisation: busy device time over held device time, weighted by budget (Σ k_t busy_t / Σ k_t n_t).</summary>
    public static double Utilisation(FleetProblem p, FleetDesign d)
    {
        ArgumentNullException.ThrowIfNull(p);
        ArgumentNullException.ThrowIfNull(d);
        double busy = 0, held = 0;
        for (int t = 0; t < p.Types; t++) { busy += p.Fixed[t] * d.BusyDevices[t]; held += p.Fixed[t] * d.Counts[t]; }
        return held > 0 ? busy / held : 0;
    }

    /// <summary>
    /// Similarity of two device types' skills: the cosine of their throughput profiles over the job types (1/h_t·),
    /// 1 for devices that are the same up to scale, lower the more their strengths differ.
    /// </summary>
    public static double[] Similarity(FleetProblem p)
    {
        ArgumentNullException.ThrowIfNull(p);
        int n = p.Types;
        var z = new double[n * n];
        for (int s = 0; s < n; s++)
            for (int t = 0; t < n; t++)
            {
                double dot = 0, ns = 0, nt = 0;
                for (int j = 0; j < FleetProblem.Jobs; j++)
                {
                    double a = 1 / p.Hours[s * FleetProblem.Jobs + j], b = 1 / p.Hours[t * FleetProblem.Jobs + j];
                    dot += a * b; ns += a * a; nt += b * b;
                }
                z[s * n + t] = dot / Math.Sqrt(ns * nt);
            }
        return z;
    }

    /// <summary>Heterogeneity of the fleet: the Leinster-Cobbold Hill number ^qD^Z of the budget shares with <see cref="Similarity"/> (1: one kind of device).</summary>
    public static double Heterogeneity(FleetProblem p, FleetDesign d, double q = 1) => Measures.Heterogeneity.Hill(BudgetShares(p, d), Similarity(p), q);

    /// <summary>The effective number of device types: the Hill number ^qD of the budget shares with every type distinct (Z = I; q = 1: exp of their Shannon entropy).</summary>
    public static double EffectiveTypes(FleetProblem p, FleetDesign d, double q = 1)
    {
        ArgumentNullException.ThrowIfNull(p);
        return Measures.Heterogeneity.Distinct(BudgetShares(p, d), q);
    }

    /// <summary>Device types holding more than <paramref name="threshold"/> of the budget.</summary>
    public static int Types(FleetProblem p, FleetDesign d, double threshold = 0.01) => BudgetShares(p, d).Count(s => s > threshold);
}
