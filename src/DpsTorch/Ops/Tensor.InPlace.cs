// In-place no-grad writes with PyTorch's names (copy_, fill_, zero_): the one way code outside the engine sets a
// tensor's values (parameters restored from a checkpoint, a builder's initial values, a search's moves).
namespace DpsTorch;

public sealed partial class Tensor
{
    /// <summary>
    /// Copies the values of <paramref name="source"/> (same shape) into this tensor, like PyTorch's <c>copy_</c> under
    /// no_grad: nothing is recorded and the gradient is left as it is. Allowed on leaves only (a result of an op that
    /// recorded the graph is still needed by its backward). Returns this tensor.
    /// </summary>
    public Tensor Copy_(Tensor source)
    {
        ArgumentNullException.ThrowIfNull(source);
        CheckInPlace("copy_");
        if (!Shapes.Same(source._shape, _shape))
            throw new ArgumentException($"copy_: the source has shape {Shapes.Format(source._shape)}, this tensor {Shapes.Format(_shape)}; they must match.");
        if (!ReferenceEquals(source._data, _data)) source._data.AsSpan().CopyTo(_data);
        return this;
    }

    /// <summary>
    /// Copies <see cref="Numel"/> values, row-major, into this tensor (a <c>copy_</c> from plain numbers, no graph
    /// recorded). Allowed on leaves only. Returns this tensor.
    /// </summary>
    public Tensor Copy_(ReadOnlySpan<double> values)
    {
        CheckInPlace("copy_");
        if (values.Length != _data.Length)
            throw new ArgumentException($"copy_: got {values.Length} values for a tensor of shape {Shapes.Format(_shape)} ({_data.Length} elements).");
        values.CopyTo(_data);
        return this;
    }

    /// <summary>Sets every element to <paramref name="value"/> (like <c>fill_</c>, no graph recorded); leaves only. Returns this tensor.</summary>
    public Tensor Fill_(double value)
    {
        CheckInPlace("fill_");
        Array.Fill(_data, value);
        return this;
    }

    /// <summary>Sets every element to 0 (like <c>zero_</c>, no graph recorded); leaves only. Returns this tensor.</summary>
    public Tensor Zero_() => Fill_(0.0);

    /// <summary>An in-place write into a tensor that an op produced while recording would corrupt that op's backward.</summary>
    private void CheckInPlace(string op)
    {
        if (_node is not null)
            throw new InvalidOperationException($"{op}: this tensor is the output of '{_node.Op}' in a recorded graph; write in place only into leaves.");
    }
}
