// Conversion between the engine's tensors (DpsTorch.Tensor, always float64) and torch tensors. Every boundary checks
// the dtype: a torch tensor that is not float64 is refused with a message naming it, never silently converted (an
// integer tensor's sum(0) in libtorch sums in its own type: issue 17 saw byte tensors wrap around).
using static TorchSharp.torch;
using EngineTensor = DpsTorch.Tensor;
using TT = TorchSharp.torch.Tensor;

namespace DpsTorch.TorchSharp;

/// <summary>Engine tensor ⇄ torch tensor.</summary>
public static class Interop
{
    /// <summary>A float64 torch tensor with the engine tensor's values and shape (a copy, no gradient), on <paramref name="device"/>.</summary>
    public static TT ToTorch(EngineTensor t, Device? device = null)
    {
        var shape = t.Shape.Select(s => (long)s).ToArray();
        var r = tensor(t.ToArray(), shape, dtype: ScalarType.Float64);
        return device is null || device.type == global::TorchSharp.DeviceType.CPU ? r : r.to(device);
    }

    /// <summary>An engine tensor with the torch tensor's values and shape (a copy; the gradient is not carried).</summary>
    /// <exception cref="ArgumentException">The torch tensor is not float64.</exception>
    public static EngineTensor ToEngine(TT t, string name = "tensor")
    {
        RequireFloat64(t, name);
        var shape = t.shape.Select(s => checked((int)s)).ToArray();
        return EngineTensor.FromArray(Values(t), shape);
    }

    /// <summary>The values of a float64 tensor as a flat array (row-major), copied to the CPU.</summary>
    public static double[] Values(TT t)
    {
        RequireFloat64(t, "tensor");
        using var scope = NewDisposeScope();
        var c = t.detach().cpu().contiguous();
        return c.data<double>().ToArray();
    }

    /// <summary>Refuses a tensor that is not float64, naming it and its dtype.</summary>
    public static void RequireFloat64(TT t, string name)
    {
        if (t.dtype != ScalarType.Float64)
            throw new ArgumentException($"{name}: dtype {t.dtype} is not allowed; DpsTorch computes in float64 only (convert with .to(torch.float64) first).");
    }

    /// <summary>Writes <paramref name="values"/> into the float64 tensor <paramref name="t"/> in place, without recording a gradient.</summary>
    public static void Assign(TT t, double[] values, string name = "tensor")
    {
        RequireFloat64(t, name);
        if (values.Length != t.numel())
            throw new ArgumentException($"{name}: {values.Length} values for a tensor of {t.numel()} elements.");
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        t.copy_(tensor(values, t.shape, dtype: ScalarType.Float64).to(t.device));
    }
}
