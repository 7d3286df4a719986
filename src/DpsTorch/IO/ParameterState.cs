// ParameterState: checkpoints of named parameters, optional optimizer state and metadata as one JSON file,
// written atomically and read back with every size, shape and value validated.
using System.Text.Json;
using DpsTorch.Optim;

namespace DpsTorch.IO;

/// <summary>One saved tensor: its name, shape and row-major values.</summary>
public sealed record NamedTensor(string Name, int[] Shape, double[] Values);

/// <summary>What a parameter-state file holds.</summary>
/// <param name="Parameters">The saved tensors, in file order.</param>
/// <param name="Optimizer">The optimizer state, or null when none was saved.</param>
/// <param name="Metadata">Free-form string key/value pairs (seed, config hash, step, ...).</param>
public sealed record ParameterStateFile(
    IReadOnlyList<NamedTensor> Parameters,
    OptimizerState? Optimizer,
    IReadOnlyDictionary<string, string> Metadata);

/// <summary>
/// Saves and loads model parameters, optimizer state and metadata as JSON (UTF-8, System.Text.Json).
/// <para>Format (version 1):</para>
/// <code>
/// {
///   "format": "dpstorch.parameter-state",
///   "version": 1,
///   "metadata": { "seed": "42", ... },                    // string values only
///   "parameters": [
///     { "name": "mu", "shape": [4], "values": [0.1, 2.5, -1, 3.25] }, ...
///   ],                                                    // names unique; values row-major, count = product of shape
///   "optimizer": null | {
///     "kind": "adam",                                     // "sgd" | "adam" | "lbfgs"
///     "stepCount": 120,
///     "hyperParameters": { "lr": 0.02, "beta1": 0.9, ... },
///     "parameterBuffers": [ { "exp_avg": [...], "exp_avg_sq": [...] }, ... ],   // one object per optimizer parameter
///     "globalBuffers": { "d": [...], ... }                // L-BFGS only; {} otherwise
///   }
/// }
/// </code>
/// Numbers are written in .NET's shortest round-trip form, so every double reads back bit-exact; NaN and infinities
/// are refused on save (the error names the parameter or buffer). Saving writes a temporary file in the same folder
/// and moves it over the target, so a crash never leaves a half-written checkpoint. Loading checks the format and
/// version, unique names, shapes (rank at most <see cref="MaxRank"/>, sizes >= 0), that each element count is no more
/// than the file could hold and equals the number of values, and that every value is a finite number; errors name
/// the file and the field (<c>parameters[2].values[7]</c>).
/// </summary>
public static class ParameterState
{
    /// <summary>The value of the "format" field.</summary>
    public const string FormatName = "dpstorch.parameter-state";

    /// <summary>The format version this code writes and reads.</summary>
    public const int FormatVersion = 1;

    /// <summary>Largest tensor rank accepted on load (a guard against hostile headers, far above any model tensor).</summary>
    public const int MaxRank = 32;

    /// <summary>Largest file accepted on load, 1 GiB: the whole file is parsed in memory.</summary>
    public const long MaxFileBytes = 1L << 30;

    /// <summary>Each JSON number takes at least one byte plus a separator, bounding element counts by the file size.</summary>
    private const int MinBytesPerValue = 2;

    /// <summary>
    /// Writes <paramref name="parameters"/> (name, tensor), an optional optimizer state and metadata to
    /// <paramref name="path"/>, atomically. Throws if a name repeats or any value is NaN or infinite.
    /// </summary>
    public static void Save(string path, IReadOnlyList<(string Name, Tensor Value)> parameters,
        OptimizerState? optimizer = null, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(parameters);
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < parameters.Count; i++)
        {
            var (name, value) = parameters[i];
            if (string.IsNullOrEmpty(name)) throw new ArgumentException($"Parameter {i} has an empty name; every saved parameter needs a unique name.", nameof(parameters));
            if (!names.Add(name)) throw new ArgumentException($"Parameter name '{name}' appears more than once; names must be unique.", nameof(parameters));
            ArgumentNullException.ThrowIfNull(value, $"parameters[{i}] ('{name}')");
            CheckFinite(value.Data, $"parameter '{name}'");
        }
        if (optimizer is not null) CheckFinite(optimizer);

        AtomicFile.Write(path, stream =>
        {
            using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
            Write(w, parameters, optimizer, metadata);
        });
    }

    /// <summary>Reads and validates a file written by <see cref="Save"/>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist (the message names the path).</exception>
    /// <exception cref="InvalidDataException">The file is not valid JSON or breaks the format (the message names the field).</exception>
    public static ParameterStateFile Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var info = new FileInfo(path);
        if (!info.Exists)
            throw new FileNotFoundException($"Parameter state file '{info.FullName}' does not exist; check the path or save a state first.", info.FullName);
        if (info.Length > MaxFileBytes)
            throw new InvalidDataException($"Parameter state file '{info.FullName}' is {info.Length} bytes, more than the {MaxFileBytes} allowed.");
        var bytes = File.ReadAllBytes(info.FullName);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(bytes);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Parameter state file '{info.FullName}' is not valid JSON (truncated or corrupted?) at line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}: {e.Message}", e);
        }
        using (doc)
            return new Reader(info.FullName, bytes.LongLength).Read(doc.RootElement);
    }

    /// <summary>
    /// Loads <paramref name="path"/> and copies each saved tensor into the tensor of the same name in
    /// <paramref name="parameters"/> (in place, so optimizers holding them see the new values). Every listed
    /// parameter must be in the file with the same shape; all are checked before any is written.
    /// Returns the file's contents (for the optimizer state and metadata).
    /// </summary>
    public static ParameterStateFile LoadInto(string path, IReadOnlyList<(string Name, Tensor Value)> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var file = Load(path);
        var byName = new Dictionary<string, NamedTensor>(StringComparer.Ordinal);
        foreach (var p in file.Parameters) byName[p.Name] = p;
        foreach (var (name, value) in parameters)
        {
            if (!byName.TryGetValue(name, out var saved))
                throw new InvalidDataException($"Parameter state file '{path}' has no parameter '{name}'.");
            if (!Shapes.Same(saved.Shape, value.ShapeRef))
                throw new InvalidDataException($"Parameter '{name}' in '{path}' has shape {Shapes.Format(saved.Shape)} but the model's has shape {Shapes.Format(value.ShapeRef)}.");
        }
        foreach (var (name, value) in parameters) value.Copy_(byName[name].Values);
        return file;
    }

    // ---- writing ----

    private static void Write(Utf8JsonWriter w, IReadOnlyList<(string Name, Tensor Value)> parameters,
        OptimizerState? optimizer, IReadOnlyDictionary<string, string>? metadata)
    {
        w.WriteStartObject();
        w.WriteString("format", FormatName);
        w.WriteNumber("version", FormatVersion);
        w.WriteStartObject("metadata");
        if (metadata is not null)
            foreach (var (k, v) in metadata) w.WriteString(k, v);
        w.WriteEndObject();
        w.WriteStartArray("parameters");
        foreach (var (name, value) in parameters)
        {
            w.WriteStartObject();
            w.WriteString("name", name);
            w.WriteStartArray("shape");
            foreach (var s in value.ShapeRef) w.WriteNumberValue(s);
            w.WriteEndArray();
            WriteArray(w, "values", value.Data);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        if (optimizer is null) w.WriteNull("optimizer");
        else
        {
            w.WriteStartObject("optimizer");
            w.WriteString("kind", optimizer.Kind);
            w.WriteNumber("stepCount", optimizer.StepCount);
            w.WriteStartObject("hyperParameters");
            foreach (var (k, v) in optimizer.HyperParameters) w.WriteNumber(k, v);
            w.WriteEndObject();
            w.WriteStartArray("parameterBuffers");
            foreach (var buffers in optimizer.ParameterBuffers)
            {
                w.WriteStartObject();
                foreach (var (k, v) in buffers) WriteArray(w, k, v);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartObject("globalBuffers");
            foreach (var (k, v) in optimizer.GlobalBuffers) WriteArray(w, k, v);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    private static void WriteArray(Utf8JsonWriter w, string name, ReadOnlySpan<double> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values) w.WriteNumberValue(v); // shortest round-trip text
        w.WriteEndArray();
    }

    private static void CheckFinite(ReadOnlySpan<double> values, string what)
    {
        for (int i = 0; i < values.Length; i++)
            if (!double.IsFinite(values[i]))
                throw new ArgumentException($"Cannot save {what}: element {i} is {values[i]}; only finite values can be saved.");
    }

    private static void CheckFinite(OptimizerState s)
    {
        foreach (var (k, v) in s.HyperParameters)
            if (!double.IsFinite(v)) throw new ArgumentException($"Cannot save optimizer hyper-parameter '{k}': it is {v}; only finite values can be saved.");
        for (int i = 0; i < s.ParameterBuffers.Count; i++)
            foreach (var (k, v) in s.ParameterBuffers[i]) CheckFinite(v, $"optimizer buffer '{k}' of parameter {i}");
        foreach (var (k, v) in s.GlobalBuffers) CheckFinite(v, $"optimizer global buffer '{k}'");
    }

    // ---- reading ----

    /// <summary>Walks the parsed document; every error names the file and the JSON path of the bad field.</summary>
    private sealed class Reader(string path, long fileBytes)
    {
        private long MaxElements => fileBytes / MinBytesPerValue + 1;

        private InvalidDataException Error(string field, string problem)
            => new($"Parameter state file '{path}': {field} {problem}");

        public ParameterStateFile Read(JsonElement root)
        {
            if (root.ValueKind != JsonValueKind.Object) throw Error("the top level", $"must be a JSON object, got {root.ValueKind}.");
            string format = String(Required(root, "format", "format"), "format");
            if (format != FormatName) throw Error("format", $"is '{format}'; expected '{FormatName}'.");
            var versionElement = Required(root, "version", "version");
            if (versionElement.ValueKind != JsonValueKind.Number || !versionElement.TryGetInt32(out int version) || version != FormatVersion)
                throw Error("version", $"is {versionElement.GetRawText()}; this build reads version {FormatVersion}.");

            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            if (root.TryGetProperty("metadata", out var meta) && meta.ValueKind != JsonValueKind.Null)
            {
                if (meta.ValueKind != JsonValueKind.Object) throw Error("metadata", $"must be an object of strings, got {meta.ValueKind}.");
                foreach (var prop in meta.EnumerateObject())
                    if (!metadata.TryAdd(prop.Name, String(prop.Value, $"metadata.{prop.Name}")))
                        throw Error($"metadata.{prop.Name}", "appears more than once.");
            }

            var paramsElement = Required(root, "parameters", "parameters");
            if (paramsElement.ValueKind != JsonValueKind.Array) throw Error("parameters", $"must be an array, got {paramsElement.ValueKind}.");
            var parameters = new List<NamedTensor>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            int index = 0;
            foreach (var p in paramsElement.EnumerateArray())
            {
                string field = $"parameters[{index}]";
                if (p.ValueKind != JsonValueKind.Object) throw Error(field, $"must be an object, got {p.ValueKind}.");
                string name = String(Required(p, "name", field + ".name"), field + ".name");
                if (name.Length == 0) throw Error(field + ".name", "is empty.");
                if (!names.Add(name)) throw Error(field + ".name", $"'{name}' appears more than once; names must be unique.");
                field = $"parameters[{index}] ('{name}')";
                var shape = Shape(Required(p, "shape", field + ".shape"), field + ".shape");
                long numel = Numel(shape, field + ".shape");
                var values = Values(Required(p, "values", field + ".values"), field + ".values", numel);
                parameters.Add(new NamedTensor(name, shape, values));
                index++;
            }

            OptimizerState? optimizer = null;
            if (root.TryGetProperty("optimizer", out var opt) && opt.ValueKind != JsonValueKind.Null)
                optimizer = Optimizer(opt);
            return new ParameterStateFile(parameters, optimizer, metadata);
        }

        private OptimizerState Optimizer(JsonElement o)
        {
            if (o.ValueKind != JsonValueKind.Object) throw Error("optimizer", $"must be an object or null, got {o.ValueKind}.");
            string kind = String(Required(o, "kind", "optimizer.kind"), "optimizer.kind");
            var stepElement = Required(o, "stepCount", "optimizer.stepCount");
            if (stepElement.ValueKind != JsonValueKind.Number || !stepElement.TryGetInt64(out long step) || step < 0)
                throw Error("optimizer.stepCount", $"must be an integer >= 0, got {stepElement.GetRawText()}.");

            var hyper = new Dictionary<string, double>(StringComparer.Ordinal);
            var hyperElement = Required(o, "hyperParameters", "optimizer.hyperParameters");
            if (hyperElement.ValueKind != JsonValueKind.Object) throw Error("optimizer.hyperParameters", $"must be an object, got {hyperElement.ValueKind}.");
            foreach (var prop in hyperElement.EnumerateObject())
                if (!hyper.TryAdd(prop.Name, Number(prop.Value, $"optimizer.hyperParameters.{prop.Name}")))
                    throw Error($"optimizer.hyperParameters.{prop.Name}", "appears more than once.");

            var buffersElement = Required(o, "parameterBuffers", "optimizer.parameterBuffers");
            if (buffersElement.ValueKind != JsonValueKind.Array) throw Error("optimizer.parameterBuffers", $"must be an array, got {buffersElement.ValueKind}.");
            var perParam = new List<IReadOnlyDictionary<string, double[]>>();
            int i = 0;
            foreach (var b in buffersElement.EnumerateArray())
                perParam.Add(Buffers(b, $"optimizer.parameterBuffers[{i++}]"));

            IReadOnlyDictionary<string, double[]> global = new Dictionary<string, double[]>();
            if (o.TryGetProperty("globalBuffers", out var g) && g.ValueKind != JsonValueKind.Null)
                global = Buffers(g, "optimizer.globalBuffers");
            return new OptimizerState(kind, step, hyper, perParam, global);
        }

        private Dictionary<string, double[]> Buffers(JsonElement e, string field)
        {
            if (e.ValueKind != JsonValueKind.Object) throw Error(field, $"must be an object of number arrays, got {e.ValueKind}.");
            var d = new Dictionary<string, double[]>(StringComparer.Ordinal);
            foreach (var prop in e.EnumerateObject())
                if (!d.TryAdd(prop.Name, Values(prop.Value, $"{field}.{prop.Name}", null)))
                    throw Error($"{field}.{prop.Name}", "appears more than once.");
            return d;
        }

        private JsonElement Required(JsonElement o, string name, string field)
            => o.TryGetProperty(name, out var v) ? v : throw Error(field, "is missing.");

        private string String(JsonElement e, string field)
            => e.ValueKind == JsonValueKind.String ? e.GetString()! : throw Error(field, $"must be a string, got {e.ValueKind}.");

        private int[] Shape(JsonElement e, string field)
        {
            if (e.ValueKind != JsonValueKind.Array) throw Error(field, $"must be an array of sizes, got {e.ValueKind}.");
            int rank = e.GetArrayLength();
            if (rank > MaxRank) throw Error(field, $"has rank {rank}, more than the {MaxRank} allowed.");
            var shape = new int[rank];
            int k = 0;
            foreach (var s in e.EnumerateArray())
            {
                if (s.ValueKind != JsonValueKind.Number || !s.TryGetInt32(out int size) || size < 0)
                    throw Error($"{field}[{k}]", $"must be an integer >= 0, got {s.GetRawText()}.");
                shape[k++] = size;
            }
            return shape;
        }

        /// <summary>Element count of a shape, refused when it exceeds what a file of this size could hold.</summary>
        private long Numel(int[] shape, string field)
        {
            long n = 1;
            foreach (var s in shape)
            {
                n *= s;
                if (n > MaxElements)
                    throw Error(field, $"{Shapes.Format(shape)} describes more elements than a {fileBytes}-byte file can hold.");
            }
            return n;
        }

        private double[] Values(JsonElement e, string field, long? expected)
        {
            if (e.ValueKind != JsonValueKind.Array) throw Error(field, $"must be an array of numbers, got {e.ValueKind}.");
            int length = e.GetArrayLength();
            if (expected is long n && length != n)
                throw Error(field, $"has {length} values but the shape has {n} elements.");
            var values = new double[length];
            int k = 0;
            foreach (var v in e.EnumerateArray())
            {
                values[k] = Number(v, $"{field}[{k}]");
                k++;
            }
            return values;
        }

        private double Number(JsonElement v, string field)
        {
            if (v.ValueKind != JsonValueKind.Number)
                throw Error(field, $"is {v.GetRawText()}, not a finite number.");
            if (!v.TryGetDouble(out double x) || !double.IsFinite(x))
                throw Error(field, $"is {v.GetRawText()}, outside the finite double range.");
            return x;
        }
    }
}
