// The shipped JSON Schema (schema/dps-config.schema.json) is the generated one, every experiment config references it
// and validates against it, so does every example in docs/CONFIG.md, and it refuses what the config reader refuses.
using System.Text.Json;
using System.Text.RegularExpressions;
using DpsTorch.Config;
using DpsTorch.IO;
using DpsTorch.Tests.Bundled;
using Json.Schema;

namespace DpsTorch.Tests.IO;

public partial class ConfigSchemaTests
{
    private static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "DpsTorch.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("DpsTorch.sln not found above the test output folder.");
    }

    private static string SchemaPath => Path.Combine(Root(), "schema", ConfigSchema.FileName);

    private static readonly Lazy<JsonSchema> Schema = new(() => JsonSchema.FromText(File.ReadAllText(SchemaPath)));

    private static readonly JsonDocumentOptions ConfigJson = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    /// <summary>The schema's verdict on <paramref name="json"/>: null when valid, else the first errors with where they are.</summary>
    private static string? Problems(string json)
    {
        using var doc = JsonDocument.Parse(json, ConfigJson);
        var result = Schema.Value.Evaluate(doc.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (result.IsValid) return null;
        return string.Join("; ", (result.Details ?? []).Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}")).Take(5));
    }

    [Fact]
    public void CommittedSchema_IsTheGeneratedOne()
    {
        Assert.True(File.Exists(SchemaPath), $"{SchemaPath} is missing; write it with: dps schema --out schema/{ConfigSchema.FileName}");
        Assert.True(File.ReadAllText(SchemaPath).ReplaceLineEndings("\n") == ConfigSchema.ToJson(),
            $"schema/{ConfigSchema.FileName} is out of date with the config records or reader; regenerate it with: dps schema --out schema/{ConfigSchema.FileName}");
    }

    [Fact]
    public void Schema_HoldsEveryKeyWithItsRule_FromTheRecordsAndTheReader()
    {
        using var doc = JsonDocument.Parse(ConfigSchema.ToJson());
        var p = doc.RootElement.GetProperty("properties");
        Assert.False(doc.RootElement.GetProperty("additionalProperties").GetBoolean());
        var count = p.GetProperty("agents").GetProperty("properties").GetProperty("count");
        Assert.Equal(1, count.GetProperty("minimum").GetInt32());
        Assert.Equal(ConfigLoader.MaxAgents, count.GetProperty("maximum").GetInt32());
        Assert.Equal(new AgentsConfig().Count, count.GetProperty("default").GetInt32());
        var kind = p.GetProperty("topology").GetProperty("properties").GetProperty("kind");
        Assert.Contains("small-world", kind.GetProperty("enum").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(0, p.GetProperty("training").GetProperty("properties").GetProperty("lr").GetProperty("exclusiveMinimum").GetDouble());
        var level = p.GetProperty("levels").GetProperty("items").GetProperty("properties");
        Assert.Equal("direct", level.GetProperty("topology").GetProperty("properties").GetProperty("propagation").GetProperty("default").GetString());
        Assert.True(level.GetProperty("fixedShare").GetProperty("default").ValueKind == JsonValueKind.False);
        Assert.Equal(1, p.GetProperty("levels").GetProperty("minItems").GetInt32());
        Assert.True(p.TryGetProperty("sweep", out _) && p.TryGetProperty("$schema", out _));
        Assert.DoesNotContain("$ref", doc.RootElement.GetRawText());
    }

    [Theory, MemberData(nameof(ExperimentConfigsTests.Configs), MemberType = typeof(ExperimentConfigsTests))]
    public void ExperimentConfig_ReferencesTheSchema_AndValidates(string relativePath)
    {
        string path = Path.Combine(Root(), relativePath);
        string json = File.ReadAllText(path);
        using var doc = JsonDocument.Parse(json, ConfigJson);
        Assert.True(doc.RootElement.TryGetProperty("$schema", out var reference), $"{relativePath} has no \"$schema\"");
        Assert.Equal(Path.GetFullPath(SchemaPath), Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, reference.GetString()!)));
        Assert.Null(Problems(json));
    }

    [GeneratedRegex("```json\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex JsonBlock();

    [Fact]
    public void EveryExample_InConfigDocs_Validates()
    {
        var blocks = JsonBlock().Matches(File.ReadAllText(Path.Combine(Root(), "docs", "CONFIG.md")));
        Assert.True(blocks.Count >= 20, $"only {blocks.Count} examples");
        foreach (Match block in blocks)
            Assert.True(Problems(block.Groups[1].Value) is null, $"{Problems(block.Groups[1].Value)} in the example {block.Groups[1].Value}");
    }

    [Theory]
    [InlineData("""{ "agents": { "cuont": 12 } }""")]
    [InlineData("""{ "colour": "red" }""")]
    [InlineData("""{ "agents": { "count": 0 } }""")]
    [InlineData("""{ "agents": { "count": 2.5 } }""")]
    [InlineData("""{ "training": { "lr": 0 } }""")]
    [InlineData("""{ "demand": { "kind": "peak" } }""")]
    [InlineData("""{ "demand": { "kind": "mixture", "centers": [1], "widths": [0] } }""")]
    [InlineData("""{ "measures": { "fractions": [0, 1.5] } }""")]
    [InlineData("""{ "agents": { "count": 4 }, "levels": [] }""")]
    [InlineData("""{ "agents": { "count": 4 }, "levels": [ { "size": 4, "colour": 1 } ] }""")]
    [InlineData("""{ "sweep": { "grid": { "agents.count": [] } } }""")]
    [InlineData("""{ "sweep": { "seeds": 0 } }""")]
    [InlineData("""{ "sweep": { "runs": 3 } }""")]
    public void Schema_Refuses_WhatTheReaderRefuses(string json)
    {
        Assert.NotNull(Problems(json));
        Assert.ThrowsAny<ConfigException>(() => DpsTorch.Sweeps.SweepReader.Parse(json));
    }

    [Fact]
    public void Reader_AcceptsTheSchemaKey()
    {
        var c = ConfigLoader.Parse("""{ "$schema": "../../schema/dps-config.schema.json", "agents": { "count": 3 } }""");
        Assert.Equal(3, c.Agents.Count);
    }
}
