// Gradient clipping: by total 2-norm (torch.nn.utils.clip_grad_norm_) and by value (clip_grad_value_).
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace DpsTorch.Optim;

/// <summary>In-place clipping of the parameters' gradients; parameters without a gradient are skipped.</summary>
public static class GradClip
{
    /// <summary>Added to the norm before dividing, as in PyTorch, so a zero norm never divides by zero.</summary>
    public const double NormEpsilon = 1e-6;

    /// <summary>
    /// Scales all gradients together so their total 2-norm is at most <paramref name="maxNorm"/>, like
    /// torch.nn.utils.clip_grad_norm_: total = ‖(‖g₁‖₂, ‖g₂‖₂, ...)‖₂; when coef = maxNorm / (total + 1e-6) &lt; 1,
    /// every gradient is multiplied by coef. Returns the total norm before clipping.
    /// </summary>
    /// <param name="parameters">Tensors whose gradients are clipped.</param>
    /// <param name="maxNorm">The largest allowed total norm (finite, >= 0).</param>
    /// <param name="errorIfNonfinite">Throw when the total norm is NaN or infinite (otherwise the gradients become non-finite, as in torch).</param>
    public static double ClipGradNorm(IReadOnlyList<Tensor> parameters, double maxNorm, bool errorIfNonfinite = false)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!double.IsFinite(maxNorm) || maxNorm < 0)
            throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "clip_grad_norm: maxNorm must be finite and >= 0.");
        double sumOfSquares = 0;
        foreach (var p in parameters)
        {
            var g = p.Grad?.Storage;
            if (g is null) continue;
            double norm = TP.Norm<double>(g);
            sumOfSquares += norm * norm;
        }
        double total = Math.Sqrt(sumOfSquares);
        if (!double.IsFinite(total) && errorIfNonfinite)
            throw new ArithmeticException($"clip_grad_norm: the total gradient norm is {total}; the loss or a gradient is not finite.");
        double coef = maxNorm / (total + NormEpsilon);
        if (coef < 1 || double.IsNaN(coef))
            foreach (var p in parameters)
            {
                var g = p.Grad?.Storage;
                if (g is not null) TP.Multiply(g, coef, g);
            }
        return total;
    }

    /// <summary>Clamps every gradient element to [−clip, clip] (torch.nn.utils.clip_grad_value_).</summary>
    public static void ClipGradValue(IReadOnlyList<Tensor> parameters, double clip)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(clip >= 0) || double.IsNaN(clip))
            throw new ArgumentOutOfRangeException(nameof(clip), clip, "clip_grad_value: clip must be >= 0.");
        foreach (var p in parameters)
        {
            var g = p.Grad?.Storage;
            if (g is null) continue;
            TP.Min(g, clip, g);
            TP.Max(g, -clip, g);
        }
    }
}
