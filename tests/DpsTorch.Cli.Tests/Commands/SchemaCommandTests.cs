// `dps schema` prints the generated config schema (the schema itself is checked in DpsTorch.Tests, IO/ConfigSchemaTests).
using DpsTorch.IO;

namespace DpsTorch.Cli.Tests;

public class SchemaCommandTests
{
    [Fact]
    public void DpsSchema_PrintsTheSchema_OnStandardOutput()
    {
        var r = CliHarness.Invoke("schema");
        Assert.Equal(0, r.Code);
        Assert.Equal(ConfigSchema.ToJson(), r.Out.ReplaceLineEndings("\n"));
    }
}
