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
    private bool _gradShared; // the buffer was handed out (Grad) or given (Grad = ...): ZeroGrad must not recycle it
    private bool _releaseAfterBackward;

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
        get
        {
            if (_gradBuffer is null) return null;
            _gradShared = true;
            return new Tensor(_gradBuffer, _shape);
        }
        set
        {
            if (value is not null && !Shapes.Same(value._shape, _shape))
                throw new ArgumentException($"grad: shape {Shapes.Format(value._shape)} does not match tensor shape {Shapes.Format(_shape)}.");
            _gradBuffer = value?._data;
            _gradShared = value is not null;
        }
    }

    /// <summary>
    /// The gradient buffer for an optimizer's update (read during the step, not kept), or null: unlike <see cref="Grad"/>
    /// it leaves the buffer to be recycled by the next <see cref="ZeroGrad"/>.
    /// </summary>
    internal double[]? GradStorage => _gradBuffer;

    /// <summary>Number of recorded ops this tensor's value came from: the nodes <see cref="Backward()"/> would visit.</summary>
    public int GraphSize => TopologicalOrder(this).Count;

    /// <summary>
    /// Clears the gradient (sets it to null), as optimizers' ZeroGrad does. A buffer never handed out through
    /// <see cref="Grad"/> goes back to the gradient pool, so the next backward's gradient reuses it instead of allocating
    /// (at N = 1024 with a learned complete Q, 4 MiB of edge gradient per step).
    /// </summary>
    public void ZeroGrad()
    {
        if (_gradBuffer is not null && !_gradShared) GradientPool.Return(_gradBuffer);
        _gradBuffer = null;
        _gradShared = false;
    }

    /// <summary>Adds <paramref name="g"/> (same number of elements as this tensor) into the gradient buffer.</summary>
    internal void AccumulateGrad(ReadOnlySpan<double> g)
    {
        if (!_requiresGrad) return;
        if (g.Length != _data.Length)
            throw new InvalidOperationException($"Gradient of length {g.Length} does not fit tensor of shape {Shapes.Format(_shape)}.");
        if (_gradBuffer is null)
        {
            // A recycled array when one of this length is free (g itself is not adopted: the caller may still hold it).
            var buffer = GradientPool.Rent(g.Length, clear: false);
            g.CopyTo(buffer);
            _gradBuffer = buffer;
            return;
        }
        System.Numerics.Tensors.TensorPrimitives.Add(_gradBuffer, g, _gradBuffer);
    }

    /// <summary>
    /// Like <see cref="AccumulateGrad"/> for an array the caller has just allocated (or rented from
    /// <see cref="GradientPool"/>) and will not touch again: the first gradient is adopted as the buffer instead of
    /// copied (saves one allocation and copy of the tensor's size); otherwise it is added and handed back to the pool.
    /// </summary>
    internal void AccumulateGradOwned(double[] g)
    {
        if (_requiresGrad && _gradBuffer is null && g.Length == _data.Length) { _gradBuffer = g; return; }
        AccumulateGrad(g);
        GradientPool.Return(g);
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
        TensorEngine.CountRecordedOp();
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
            if (g is not null)
            {
                node.Backward(g);
                t._gradBuffer = null; // non-leaf gradients are not retained
                GradientPool.Return(g); // dead now: every backward copies or adopts fresh arrays, never g itself
            }
            // Every consumer of t in this graph came earlier in this loop, and t's own backward has run: its value is dead.
            if (t._releaseAfterBackward) t.ReleaseStorage();
        }
    }

    /// <summary>
    /// Marks this op result (a large intermediate that only its graph reads, made in an array nothing else holds) so
    /// that <see cref="Backward(double[])"/> hands its storage to <see cref="GradientPool"/> once every op of the graph
    /// that reads it has run its backward, as PyTorch frees saved tensors after backward: a model step of N×M arrays then
    /// reuses the same arrays every step instead of allocating them on the large-object heap (where each one counts
    /// towards a full collection). After that backward the tensor has no values (length 0) and the graph cannot be
    /// run backward again. Leaves and arrays below <see cref="GradientPool.MinLength"/> are left alone. Returns this.
    /// </summary>
    internal Tensor ReleaseAfterBackward()
    {
        if (_node is not null && _data.Length >= GradientPool.MinLength) _releaseAfterBackward = true;
        return this;
    }

    private void ReleaseStorage()
    {
        var data = _data;
        _data = [];
        _node = null;
        _releaseAfterBackward = false;
        GradientPool.Return(data);
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

/// <summary>
/// Large gradient arrays recycled from one backward pass to the next on the same thread: a non-leaf's gradient is dead
/// once its op's backward has run, and the next pass needs arrays of the same sizes. Without this, every step of a large
/// model allocated its N×M gradients afresh on the large-object heap (205 MB each at N = 100,000, M = 256), and those
/// allocations triggered full (gen 2) collections several times per step. Only arrays of at least
/// <see cref="MinLength"/> doubles are kept, at most <see cref="MaxKept"/> per thread, so a thread holds at most
/// that many dead gradients between passes.
/// </summary>
internal static class GradientPool
{
    /// <summary>
    /// Shortest array kept (2^11 doubles, 16 KiB). Down from 2^17 (issue 18): a small model's N×M arrays (16 × 256 at
    /// N = 16) were fresh gen-0 garbage every step, and a step's fresh arrays walk through never-touched pages until the
    /// next collection (n16-local-learned: 164 -> 68 KB allocated per step). Smaller arrays stay gen-0 garbage. With 16
    /// kept per thread and the smallest dropped first, N = 100,000's 800 KB per-agent vectors still stay in the pool.
    /// </summary>
    internal const int MinLength = 1 << 11;

    /// <summary>Most arrays kept per thread (the smallest is dropped first).</summary>
    internal const int MaxKept = 16;

    [ThreadStatic] private static List<double[]>? _free;

    /// <summary>
    /// An array of <paramref name="length"/> doubles, a recycled one of that length when there is one; zeroed unless
    /// <paramref name="clear"/> is false (for a caller that writes every element before reading any).
    /// </summary>
    internal static double[] Rent(int length, bool clear = true)
    {
        if (length >= MinLength && _free is { } free)
            for (int i = free.Count - 1; i >= 0; i--)
                if (free[i].Length == length)
                {
                    var a = free[i];
                    free.RemoveAt(i);
                    if (clear) Array.Clear(a);
                    return a;
                }
        return new double[length];
    }

    /// <summary>Hands back an array nothing references any more.</summary>
    internal static void Return(double[] a)
    {
        if (a.Length < MinLength) return;
        var free = _free ??= [];
        if (free.Count >= MaxKept)
        {
            // Drop the smallest: the large arrays are the ones whose reuse saves full collections.
            int smallest = 0;
            for (int i = 1; i < free.Count; i++) if (free[i].Length < free[smallest].Length) smallest = i;
            if (free[smallest].Length >= a.Length) return;
            free.RemoveAt(smallest);
        }
        free.Add(a);
    }
}
