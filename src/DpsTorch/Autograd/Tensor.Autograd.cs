// The autograd facet of Tensor: leaves that require gradients, the recorded graph, and Backward().
namespace DpsTorch;

/// <summary>One recorded op: its label, its inputs and the closure that pushes the output's gradient to them.</summary>
internal sealed class Node(string op, Tensor[] inputs, Action<double[]> backward)
{
    public string Op { get; } = op;
    public Tensor[] Inputs { get; } = inputs;
    /// <summary>Receives the output's gradient and accumulates into the inputs (via <see cref="Tensor.AccumulateGrad"/>).</summary>
    public Action<double[]> Backward { get; } = backward;
}

public sealed partial class Tensor
{
    private bool _requiresGrad;
    private Node? _node;
    private double[]? _gradBuffer;

    /// <summary>
    /// Whether gradients flow to this tensor. Set it on leaves (parameters); results of ops on such tensors
    /// require gradients automatically while grad mode is on.
    /// </summary>
    public bool RequiresGrad
    {
        get => _requiresGrad;
        set
        {
            if (!value && _node is not null)
                throw new InvalidOperationException("requires_grad can only be turned off on a leaf tensor; use Detach() for a non-leaf.");
            _requiresGrad = value;
        }
    }

    /// <summary>Sets <see cref="RequiresGrad"/> and returns this tensor (like requires_grad_()).</summary>
    public Tensor RequiresGrad_(bool value = true) { RequiresGrad = value; return this; }

    /// <summary>True for tensors made by the user rather than by an op that recorded the graph.</summary>
    public bool IsLeaf => _node is null;

    /// <summary>The op label that produced this tensor, or null for a leaf.</summary>
    public string? GradFn => _node?.Op;

    /// <summary>The accumulated gradient of a leaf after <see cref="Backward()"/>, or null before.</summary>
    public Tensor? Grad
    {
        get => _gradBuffer is null ? null : new Tensor(_gradBuffer, _shape);
        set
        {
            if (value is not null && !Shapes.Same(value._shape, _shape))
                throw new ArgumentException($"grad: shape {Shapes.Format(value._shape)} does not match tensor shape {Shapes.Format(_shape)}.");
            _gradBuffer = value?._data;
        }
    }

    /// <summary>Number of recorded ops this tensor's value came from: the nodes <see cref="Backward()"/> would visit.</summary>
    public int GraphSize => TopologicalOrder(this).Count;

    /// <summary>Clears the gradient (sets it to null), as optimizers' ZeroGrad does.</summary>
    public void ZeroGrad() => _gradBuffer = null;

    /// <summary>Adds <paramref name="g"/> (same number of elements as this tensor) into the gradient buffer.</summary>
    internal void AccumulateGrad(ReadOnlySpan<double> g)
    {
        if (!_requiresGrad) return;
        if (g.Length != _data.Length)
            throw new InvalidOperationException($"Gradient of length {g.Length} does not fit tensor of shape {Shapes.Format(_shape)}.");
        if (_gradBuffer is null) { _gradBuffer = g.ToArray(); return; }
        System.Numerics.Tensors.TensorPrimitives.Add(_gradBuffer, g, _gradBuffer);
    }

    /// <summary>
    /// Like <see cref="AccumulateGrad"/> for an array the caller has just allocated and will not touch again: the first
    /// gradient is adopted as the buffer instead of copied (saves one allocation and copy of the tensor's size).
    /// </summary>
    internal void AccumulateGradOwned(double[] g)
    {
        if (_requiresGrad && _gradBuffer is null && g.Length == _data.Length) { _gradBuffer = g; return; }
        AccumulateGrad(g);
    }

    /// <summary>The gradient buffer, for kernels that accumulate in place (allocated zeroed on first use).</summary>
    internal double[] GradBufferForWrite() => _gradBuffer ??= new double[_data.Length];

    /// <summary>Whether an op on these inputs should record a node.</summary>
    internal static bool ShouldRecord(Tensor a) => TensorEngine.IsGradEnabled && a._requiresGrad;
    internal static bool ShouldRecord(Tensor a, Tensor b) => TensorEngine.IsGradEnabled && (a._requiresGrad || b._requiresGrad);
    internal static bool ShouldRecord(Tensor[] xs)
    {
        if (!TensorEngine.IsGradEnabled) return false;
        foreach (var x in xs) if (x._requiresGrad) return true;
        return false;
    }

    /// <summary>
    /// Records that <paramref name="result"/> was made by <paramref name="op"/> from <paramref name="inputs"/>,
    /// when grad mode is on and an input requires gradients. Returns <paramref name="result"/>.
    /// </summary>
    internal static Tensor Record(Tensor result, string op, Tensor[] inputs, Action<double[]> backward)
    {
        if (!ShouldRecord(inputs)) return result;
        result._requiresGrad = true;
        result._node = new Node(op, inputs, backward);
        return result;
    }

    /// <summary>
    /// Computes the gradient of this scalar with respect to every leaf that requires gradients, adding it to their
    /// <see cref="Grad"/> (gradients accumulate, as in PyTorch; call ZeroGrad between steps).
    /// The graph is walked once in reverse topological order, without recursion.
    /// </summary>
    public void Backward()
    {
        if (_data.Length != 1)
            throw new InvalidOperationException($"backward: grad can be implicitly created only for a scalar output, but this tensor has shape {Shapes.Format(_shape)}; reduce it first (e.g. Sum()).");
        Backward([1.0]);
    }

    /// <summary>Backward from a non-scalar output with an explicit output gradient (like tensor.backward(gradient)).</summary>
    public void Backward(double[] outputGrad)
    {
        if (!_requiresGrad)
            throw new InvalidOperationException("backward: this tensor does not require grad and has no grad_fn; set RequiresGrad on a parameter it depends on.");
        if (outputGrad.Length != _data.Length)
            throw new ArgumentException($"backward: gradient of length {outputGrad.Length} does not match output shape {Shapes.Format(_shape)}.");

        var order = TopologicalOrder(this);
        AccumulateGrad(outputGrad);
        for (int i = order.Count - 1; i >= 0; i--)
        {
            var t = order[i];
            var node = t._node!;
            var g = t._gradBuffer;
            if (g is null) continue;
            node.Backward(g);
            t._gradBuffer = null; // non-leaf gradients are not retained
        }
    }

    /// <summary>Non-leaf tensors reachable from <paramref name="root"/>, each after all of its inputs.</summary>
    private static List<Tensor> TopologicalOrder(Tensor root)
    {
        var order = new List<Tensor>();
        var visited = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<(Tensor t, int next)>();
        if (root._node is null) return order;
        stack.Push((root, 0));
        visited.Add(root);
        while (stack.Count > 0)
        {
            var (t, next) = stack.Pop();
            var inputs = t._node!.Inputs;
            if (next < inputs.Length)
            {
                stack.Push((t, next + 1));
                var child = inputs[next];
                if (child._node is not null && child._requiresGrad && visited.Add(child)) stack.Push((child, 0));
            }
            else order.Add(t);
        }
        return order;
    }
}
