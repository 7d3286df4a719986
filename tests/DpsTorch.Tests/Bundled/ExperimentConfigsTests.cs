// Every config in experiments/ loads and validates (sweep blocks expanded, every run's config checked).
using DpsTorch.Sweeps;

namespace DpsTorch.Tests.Bundled;

public class ExperimentConfigsTests
{
    private static string Root()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "DpsTorch.sln"))) dir = dir.Parent;
        return dir!.FullName;
    }

    public static TheoryData<string> Configs()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.GetFiles(Path.Combine(Root(), "experiments"), "*.json", SearchOption.AllDirectories).Order())
            if (!f.Contains($"{Path.DirectorySeparatorChar}results{Path.DirectorySeparatorChar}") && !Path.GetFileName(f).StartsWith("fit", StringComparison.Ordinal))
                data.Add(Path.GetRelativePath(Root(), f));
        return data;
    }

    [Theory, MemberData(nameof(Configs))]
    public void ExperimentConfig_LoadsAndEveryRunValidates(string relativePath)
    {
        var plan = SweepReader.Load(Path.Combine(Root(), relativePath));
        plan.Validate();
        Assert.NotEmpty(plan.Points);
    }

    [Fact]
    public void EveryExperimentFolder_HasANoteWithItsCommand()
    {
        foreach (var d in Directory.GetDirectories(Path.Combine(Root(), "experiments")))
        {
            var note = Path.Combine(d, "README.md");
            Assert.True(File.Exists(note), $"{d} has no README.md");
            string text = File.ReadAllText(note);
            Assert.True(text.Contains("src/DpsTorch.Cli --") || text.Contains("dps "), $"{note} gives no command to reproduce it");
        }
    }
}
